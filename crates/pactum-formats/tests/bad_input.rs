//! Bad input gets an error naming the file, the line and what was expected.

use pactum_core::Semantics;
use pactum_formats::{load_folder, LoadOptions};
use std::path::Path;

const DOMAIN: &str = r#"<negotiation_template>
<utility_space number_of_issues="2">
<objective index="0" name="root" type="objective">
  <issue index="1" name="price" type="discrete">
    <item index="1" value="low"/>
    <item index="2" value="high"/>
  </issue>
  <issue index="2" name="date" type="discrete">
    <item index="1" value="soon"/>
    <item index="2" value="late"/>
  </issue>
</objective>
</utility_space>
</negotiation_template>"#;

const PROFILE: &str = r#"<utility_space>
<objective index="0" name="root" type="objective">
  <weight index="1" value="0.6"/>
  <weight index="2" value="0.4"/>
  <issue index="1" name="price" type="discrete">
    <item index="1" value="low" evaluation="1"/>
    <item index="2" value="high" evaluation="3"/>
  </issue>
  <issue index="2" name="date" type="discrete">
    <item index="1" value="soon" evaluation="2"/>
    <item index="2" value="late" evaluation="1"/>
  </issue>
</objective>
<reservation value="0.2"/>
</utility_space>"#;

/// Writes a folder with the domain and the given profile texts, loads it
/// under both semantics and returns the error messages.
fn load_err(domain: Option<&str>, profiles: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    if let Some(d) = domain {
        std::fs::write(dir.path().join("domain.xml"), d).unwrap();
    }
    for (name, text) in profiles {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    [Semantics::Genius, Semantics::Negmas]
        .into_iter()
        .map(|semantics| {
            load_folder(
                dir.path(),
                &LoadOptions {
                    semantics,
                    ..LoadOptions::default()
                },
            )
            .map(|_| ())
            .expect_err("the load should fail")
            .to_string()
        })
        .collect()
}

fn assert_all(errors: &[String], needles: &[&str]) {
    for e in errors {
        for n in needles {
            assert!(e.contains(n), "error {e:?} does not mention {n:?}");
        }
    }
}

#[test]
fn a_good_folder_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("domain.xml"), DOMAIN).unwrap();
    std::fs::write(dir.path().join("a.xml"), PROFILE).unwrap();
    std::fs::write(dir.path().join("b.xml"), PROFILE).unwrap();
    let l = load_folder(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(l.scenario.parties.len(), 2);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
}

#[test]
fn truncated_xml_names_file_and_line() {
    let cut = &PROFILE[..PROFILE.find("<issue index=\"2\"").unwrap()];
    let e = load_err(Some(DOMAIN), &[("a.xml", PROFILE), ("b.xml", cut)]);
    assert_all(&e, &["b.xml:", "never closed"]);
}

#[test]
fn missing_evaluation_names_the_value() {
    let p = PROFILE.replace(r#"<item index="2" value="late" evaluation="1"/>"#, "");
    let e = load_err(Some(DOMAIN), &[("a.xml", PROFILE), ("b.xml", &p)]);
    assert_all(&e, &["b.xml:9:", "\"late\""]);
}

#[test]
fn negative_weight_is_refused_with_its_line() {
    let p = PROFILE.replace(r#"value="0.4""#, r#"value="-0.4""#);
    let e = load_err(Some(DOMAIN), &[("a.xml", &p), ("b.xml", PROFILE)]);
    assert_all(&e, &["a.xml:4:", "weight", ">= 0"]);
}

#[test]
fn profile_that_does_not_match_the_domain() {
    let p = PROFILE.replace(r#"name="date""#, r#"name="venue""#);
    let e = load_err(Some(DOMAIN), &[("a.xml", PROFILE), ("b.xml", &p)]);
    assert_all(&e, &["b.xml", "\"date\""]);
}

#[test]
fn folder_without_domain() {
    let e = load_err(None, &[("a.xml", PROFILE)]);
    assert_all(&e, &["no domain file"]);
}

#[test]
fn unknown_issue_index_in_a_rectangle() {
    let p = r#"<utility_space type="nonlinear"><utility maxutility="10"><ufun weight="1" aggregation="sum">
<hyperRectangle utility="5"><INCLUDES index="7" min="0" max="1"/></hyperRectangle>
</ufun></utility></utility_space>"#;
    let e = load_err(Some(DOMAIN), &[("a.xml", p)]);
    assert_all(&e, &["a.xml:2:", "index 7"]);
}

#[test]
fn bad_number_names_attribute_and_expectation() {
    let p = PROFILE.replace(r#"evaluation="3""#, r#"evaluation="three""#);
    let e = load_err(Some(DOMAIN), &[("a.xml", &p)]);
    assert_all(&e, &["a.xml:7:", "evaluation", "three", "a number"]);
}

#[test]
fn unknown_profile_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("domain.xml"), DOMAIN).unwrap();
    std::fs::write(dir.path().join("a.xml"), PROFILE).unwrap();
    let e = load_folder(
        dir.path(),
        &LoadOptions {
            profiles: Some(vec!["zz.xml".into()]),
            ..LoadOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("zz.xml") && e.to_string().contains("a.xml"),
        "{e}"
    );
}

#[test]
fn weights_not_summing_to_one_warn_but_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("domain.xml"), DOMAIN).unwrap();
    std::fs::write(
        dir.path().join("a.xml"),
        PROFILE.replace(r#"value="0.4""#, r#"value="0.9""#),
    )
    .unwrap();
    let l = load_folder(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].contains("1.5"), "{:?}", l.warnings);
}

#[test]
fn pareto_files_and_foreign_xml_are_ignored_and_indices_may_start_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = DOMAIN
        .replace(r#"index="1" name="price""#, r#"index="5" name="price""#)
        .replace(r#"index="2" name="date""#, r#"index="6" name="date""#);
    let p = PROFILE
        .replace(r#"<weight index="1""#, r#"<weight index="5""#)
        .replace(r#"<weight index="2""#, r#"<weight index="6""#);
    std::fs::write(dir.path().join("domain.xml"), d).unwrap();
    std::fs::write(dir.path().join("a.xml"), &p).unwrap();
    std::fs::write(dir.path().join("pareto.xml"), "<broken").unwrap();
    std::fs::write(dir.path().join("notes.xml"), "<notes/>").unwrap();
    let l = load_folder(dir.path(), &LoadOptions::default()).unwrap();
    assert_eq!(l.parties.len(), 1);
}

#[test]
fn every_shared_scenario_loads_or_fails_cleanly() {
    let Some(root) = pactum_testkit::scenarios() else {
        return;
    };
    let mut dirs = vec![root.clone()];
    let mut loaded = 0;
    while let Some(d) = dirs.pop() {
        let mut has_xml = false;
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "xml") {
                has_xml = true;
            }
        }
        if has_xml {
            for semantics in [Semantics::Genius, Semantics::Negmas] {
                let r = load_folder(
                    Path::new(&d),
                    &LoadOptions {
                        semantics,
                        ..LoadOptions::default()
                    },
                );
                assert!(r.is_ok(), "{}: {}", d.display(), r.unwrap_err());
            }
            loaded += 1;
        }
    }
    assert!(loaded > 100, "only {loaded} scenario folders found");
}

/// Found by fuzzing: extreme weight indices and huge integer issues.
#[test]
fn extreme_indices_and_huge_integer_issues_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = r#"<negotiation_template><utility_space><objective index="0" name="r">
<issue index="1" name="a" type="integer" lowerbound="0" upperbound="4294967295"/>
</objective></utility_space></negotiation_template>"#;
    let p = r#"<utility_space><objective index="0" name="r">
<weight index="-9223372036854775808" value="1"/><weight index="9223372036854775807" value="1"/>
<issue index="1" name="a" type="integer" lowerbound="0" upperbound="4294967295"><evaluator ftype="linear" slope="1" offset="0"/></issue>
</objective></utility_space>"#;
    std::fs::write(dir.path().join("d.xml"), d).unwrap();
    std::fs::write(dir.path().join("p.xml"), p).unwrap();
    for semantics in [Semantics::Genius, Semantics::Negmas] {
        let t = std::time::Instant::now();
        let e = load_folder(
            dir.path(),
            &LoadOptions {
                semantics,
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("d.xml:2:") && e.to_string().contains("4294967296"),
            "{e}"
        );
        assert!(t.elapsed().as_secs() < 5);
    }
    // Within the limit, the extreme weight indices become NegMAS's bias, without overflow.
    let small = d.replace("4294967295", "3");
    std::fs::write(dir.path().join("d.xml"), small).unwrap();
    std::fs::write(dir.path().join("p.xml"), p.replace("4294967295", "3")).unwrap();
    let l = load_folder(
        dir.path(),
        &LoadOptions {
            semantics: Semantics::Negmas,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(l.scenario.parties[0].ufun.additive.bias, 2.0);
}

/// Files are read into one buffer: a file that is not UTF-8 must still be
/// named on its own, including when its broken tail and the next file's
/// head happen to form a valid character together.
#[test]
fn text_that_is_not_utf8_names_its_file() {
    let load = |files: &[(&str, Vec<u8>)]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a_domain.xml"), DOMAIN).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        load_folder(dir.path(), &LoadOptions::default())
            .map(|_| ())
            .expect_err("the load should fail")
            .to_string()
    };
    let mut latin1 = PROFILE.as_bytes().to_vec();
    latin1.extend_from_slice(b"<!-- caf\xe9 -->");
    let e = load(&[("b_profile.xml", latin1), ("c_profile.xml", PROFILE.into())]);
    assert!(e.contains("b_profile.xml") && e.contains("UTF-8"), "{e}");

    // "é" is C3 A9: the first byte ends one file, the second starts the next.
    let mut head = PROFILE.as_bytes().to_vec();
    head.push(0xC3);
    let mut tail = vec![0xA9];
    tail.extend_from_slice(PROFILE.as_bytes());
    let e = load(&[("b_profile.xml", head), ("c_profile.xml", tail)]);
    assert!(
        (e.contains("b_profile.xml") || e.contains("c_profile.xml")) && e.contains("UTF-8"),
        "{e}"
    );
}
