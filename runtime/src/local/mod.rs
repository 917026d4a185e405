//! Running a handler without Lambda: from the command line or standard input, behind the local
//! Invoke API (`--serve`) (`command_line`), and in a test (`testing`).

pub(crate) mod command_line;
pub mod testing;
