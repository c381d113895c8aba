//! `wasm-unrelax IN OUT`: see the library. Prints what it rewrote.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: wasm-unrelax IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    let result = std::fs::read(input)
        .map_err(|e| e.to_string())
        .and_then(|wasm| wasm_unrelax::unrelax(&wasm).map_err(|e| e.to_string()))
        .and_then(|(out, counts)| {
            std::fs::write(output, out)
                .map(|()| counts)
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(counts) => {
            println!(
                "{input}: {} relaxed min/max made pmin/pmax, {} relaxed madd kept",
                counts.min_max, counts.madd
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {input}: {e}");
            ExitCode::FAILURE
        }
    }
}
