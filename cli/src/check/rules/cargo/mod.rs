//! Rules that read the Cargo model (the package and workspace the image builds).

pub mod cm019_release_profile;
