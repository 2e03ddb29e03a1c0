fn main() {
    let _listener = std::net::TcpListener::bind("0.0.0.0:3000");
}
