//! Standard output that ends the process quietly when its reader has gone.

use std::io::Write;

/// Write `args` to standard output. A broken pipe (the reader exited, as `head -1` does) ends
/// the process with success: nobody is left to read the rest. Other errors are ignored, as
/// `print!` would not report them either.
pub fn print(args: std::fmt::Arguments<'_>) {
    write_or_exit(&mut std::io::stdout().lock(), args);
}

/// [`print()`] on any writer, for the cases that write to stdout through a handle.
pub fn write_or_exit(out: &mut dyn Write, args: std::fmt::Arguments<'_>) {
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}
