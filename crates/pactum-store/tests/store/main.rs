//! The storage test suite, written once and run against both backends.
//!
//! Every test in `suite` runs twice: `sqlite::NAME` on a temporary file and
//! `postgres::NAME` on a fresh database created for that test alone (and
//! dropped after it) on the server named by `PACTUM_TEST_DATABASE_URL`.
//! Without that variable the PostgreSQL tests pass after saying they were
//! skipped, except under `CI=true`, where they fail.

mod search;
mod suite;

use pactum_testkit::db::TestDb;

/// Declares each named `suite` test once per backend.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let fx = crate::TestDb::sqlite().await;
                    crate::suite::$test(&fx).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(fx) = crate::TestDb::postgres().await else {
                        return;
                    };
                    crate::suite::$test(&fx).await;
                }
            )*
        }
    };
}

on_both_backends!(
    rooms_and_record_revisions,
    insertion_order_is_stable,
    failed_audit_append_undoes_the_write,
    bulk_put_is_all_or_nothing,
    record_set_is_all_or_nothing,
    import_room_is_all_or_nothing,
    update_room_is_all_or_nothing,
    users_members_sessions_tokens,
    audit_chain_verifies_after_many_concurrent_writes,
    group_commit_acknowledges_only_durable_writes,
    conflict_in_a_group_fails_alone,
    missing_room_in_a_group_fails_alone,
    audit_paging_and_room_filter,
    audit_detects_an_edited_row,
    audit_detects_a_deleted_row,
    audit_detects_a_rehashed_row,
    unicode_round_trips_byte_for_byte,
    dump_restore_gives_an_identical_database,
    restore_refuses_a_non_empty_database_or_a_broken_dump,
    reopening_keeps_data_and_schema,
    record_history_keeps_every_revision,
    operators_and_first_start,
    invitations_are_single_use_expiring_and_revocable,
    concurrent_uses_of_one_invitation_seat_one_user,
    removing_a_member_ends_their_sessions_and_tokens,
    tokens_are_listed_and_revoked_by_id,
    a_format_1_dump_still_restores,
    schema_1_tokens_get_an_id_and_an_expiry,
    files_are_stored_replaced_and_dumped,
    room_changes_count_every_record_write,
);

/// The search prefilter's tests (`search.rs`), on both backends.
mod words {
    macro_rules! on_both {
        ($($test:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $test() {
                        let fx = crate::TestDb::sqlite().await;
                        crate::search::$test(&fx).await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $test() {
                        let Some(fx) = crate::TestDb::postgres().await else {
                            return;
                        };
                        crate::search::$test(&fx).await;
                    }
                )*
            }
        };
    }
    on_both!(
        the_index_finds_every_word_in_any_script,
        the_index_follows_every_write,
        unindexed_records_are_always_candidates,
        bad_terms_are_refused,
        records_stored_before_the_index_get_their_words,
        no_word_of_a_record_is_missed,
    );
}

/// Dumps move between backends without change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restore_across_backends() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let lite = TestDb::sqlite().await;
    suite::restore_across_backends(&lite, &pg).await;
}

/// The SQLite file is set up for durability as documented.
#[tokio::test]
async fn sqlite_file_settings() {
    let fx = TestDb::sqlite().await;
    assert_eq!(fx.store.backend(), "sqlite");
    let mode = fx.query_text("PRAGMA journal_mode").await;
    assert_eq!(mode, "wal");
}

/// A missing directory is reported with its path, not as a driver error.
#[tokio::test]
async fn sqlite_missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("ws.db");
    let err = pactum_store::open_sqlite(&path)
        .await
        .err()
        .expect("must fail");
    match err {
        pactum_store::StoreError::Io { path: p, .. } => {
            assert_eq!(p, dir.path().join("no-such-dir"))
        }
        other => panic!("expected Io, got {other}"),
    }
}
