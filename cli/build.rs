// The template is embedded with include_dir!, which cargo does not track: rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../template");
}
