//! Acknowledged `put_record`s per second on an SQLite file, with N
//! concurrent writers: the store's share of the workspace's write rate,
//! without HTTP. `cargo run --release --example write_rate -- [WRITERS]
//! [SECONDS] [DIR]` (DIR defaults to a temporary directory; the disk it is
//! on decides the fsync rate).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pactum_store::{NewAudit, NewRecord, RoomRow};

#[tokio::main]
async fn main() -> pactum_store::Result<()> {
    let mut args = std::env::args().skip(1);
    let writers: usize = args.next().map_or(16, |a| a.parse().expect("WRITERS"));
    let seconds: u64 = args.next().map_or(5, |a| a.parse().expect("SECONDS"));
    let dir = match args.next() {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let store = pactum_store::open_sqlite(&dir.path().join("rate.db")).await?;
    let room = RoomRow {
        id: "r".into(),
        title: "R".into(),
        created_at: String::new(),
    };
    store
        .create_room(&room, NewAudit::new("bench", "room.create"))
        .await?;

    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (store, done) = (store.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < end {
                    let rec = NewRecord {
                        kind: "stance".into(),
                        id: format!("w{w}-{i}"),
                        visibility: "{}".into(),
                        body: "{}".into(),
                    };
                    store
                        .put_record("r", &rec, None, NewAudit::new("bench", "put"))
                        .await
                        .expect("put_record");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer");
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "{n} acknowledged put_records in {seconds} s with {writers} writers = {:.0}/s",
        n as f64 / seconds as f64
    );
    assert!(store.verify_audit().await?.ok());
    Ok(())
}
