//! Fuzz target `case_json`: arbitrary bytes through the case-file reader
//! (both the shared case schema and pactum's own format). Nothing may panic,
//! and whatever imports must survive export and import unchanged, since a
//! mediator's export is promised to be lossless.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pactum_workspace::case;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(imported) = case::import(text) else { return };
    let exported = case::export(&imported.room_id, &imported.title, &imported.records);
    let again = case::import(&exported.to_string()).expect("an export imports");
    assert_eq!(again, imported, "export -> import changed the case");
});
