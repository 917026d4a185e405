//! The cold-start floor: exec, connect, send `GET next`, wait for the answer, exit.
use std::io::{BufReader, Write};

fn main() {
    let mut stream = bench_floor::connect();
    stream.write_all(bench_floor::NEXT).expect("write");
    bench_floor::read_reply(&mut BufReader::new(stream), &mut Vec::new());
}
