use super::*;

fn probe(answers: &[(&str, u16)]) -> ApiServerProbe {
    ApiServerProbe {
        name: "apiserver".to_owned(),
        anonymous: answers.iter().map(|(p, s)| ((*p).to_owned(), *s)).collect(),
        ..ApiServerProbe::default()
    }
}

#[test]
fn refused_everywhere_is_disabled() {
    let p = probe(&[("/version", 401), ("/api/v1/pods?limit=1", 401)]);
    assert_eq!(p.anonymous_access(), Anonymous::Disabled);
}

#[test]
fn public_info_alone_is_not_exposure() {
    let p = probe(&[
        ("/version", 200),
        ("/api", 403),
        ("/api/v1/pods?limit=1", 403),
    ]);
    assert_eq!(p.anonymous_access(), Anonymous::PublicInfoOnly);
}

#[test]
fn anything_beyond_public_info_is_named() {
    let p = probe(&[
        ("/version", 200),
        ("/api/v1/pods?limit=1", 200),
        ("/metrics", 403),
    ]);
    assert_eq!(
        p.anonymous_access(),
        Anonymous::Reaches(vec!["/api/v1/pods?limit=1".to_owned()])
    );
}

#[test]
fn errors_and_silence_decide_nothing() {
    assert_eq!(probe(&[]).anonymous_access(), Anonymous::Unknown);
    let p = probe(&[("/version", 503), ("/api", 403)]);
    assert_eq!(p.anonymous_access(), Anonymous::Unknown);
}

#[test]
fn a_saved_probe_reads_as_a_document_body() {
    let p: ApiServerProbe =
        serde_yaml_ng::from_str("version: v1.37.2\nanonymous: {\"/version\": 401}\n")
            .expect("reads");
    assert_eq!(p.version.as_deref(), Some("v1.37.2"));
    assert_eq!(p.anonymous_access(), Anonymous::Disabled);
}
