//! Times what any reader of a scenario folder must pay before it can parse a
//! byte: listing the folder and reading its XML files, in a freshly started
//! process, with the loader's own reading step ([`read_folder`]).
//!
//! `cargo run --release -p pactum-formats --example io_floor -- DIR`
//!
//! Prints one JSON line: `{"seconds": .., "files": .., "bytes": ..}`. The
//! side-by-side benchmark (`bench/analysis.py`) runs it per scenario: NegMAS's
//! in-process time over this figure bounds the ratio any program could reach
//! when its clock, like `pactum analyze`'s `seconds`, includes reading.

use pactum_formats::read_folder;
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: io_floor DIR");
        std::process::exit(2);
    };
    let start = Instant::now();
    let files = match read_folder(std::path::Path::new(&dir)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let (count, bytes) = files
        .iter()
        .fold((0, 0), |(c, b), (_, _, text)| (c + 1, b + text.len()));
    println!("{{\"seconds\": {seconds}, \"files\": {count}, \"bytes\": {bytes}}}");
}
