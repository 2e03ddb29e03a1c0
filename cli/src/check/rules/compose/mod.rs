//! Rules that read a compose file's model, once per compose file.

pub mod cm020_panic_abort_restart;
pub mod cm021_compose_limits;
pub mod cm022_compose_healthcheck;
pub mod cm023_compose_privileges;
pub mod cm024_port_on_every_interface;
