use super::*;

fn line(command: &[&str], args: &[&str]) -> CommandLine {
    let own = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
    CommandLine {
        component: Component::ApiServer,
        container: 1,
        image: None,
        command: own(command),
        args: own(args),
    }
}

fn facts(command: &[&str], args: &[&str]) -> ComponentFacts {
    ComponentFacts::new(
        ObjectRef::new("v1", "Pod", Some("kube-system"), "kube-apiserver-cp1"),
        line(command, args),
    )
}

#[test]
fn reads_every_flag_form_and_the_last_occurrence_wins() {
    let f = facts(
        &[
            "kube-apiserver",
            "--profiling=true",
            "--v",
            "2",
            "--anonymous-auth",
        ],
        &["--profiling", "false", "--a=b=c"],
    );
    assert_eq!(f.flag("profiling"), Some("false"));
    assert_eq!(f.flag("v"), Some("2"));
    assert_eq!(f.flag("anonymous-auth"), Some(""));
    assert_eq!(f.flag("a"), Some("b=c"));
    assert_eq!(f.flag("missing"), None);
}

#[test]
fn booleans_parse_as_go_does() {
    let f = facts(&["kube-apiserver", "--a", "--b=F", "--c=yes", "--d=1"], &[]);
    assert_eq!(f.bool_flag("a", false), Some(true));
    assert_eq!(f.bool_flag("b", true), Some(false));
    assert_eq!(f.bool_flag("c", true), None, "yes is not a Go boolean");
    assert_eq!(f.bool_flag("d", false), Some(true));
    assert_eq!(f.bool_flag("absent", true), Some(true));
}

#[test]
fn lists_split_on_commas_and_drop_blanks() {
    let f = facts(
        &["kube-apiserver", "--enable-admission-plugins= A, ,B,"],
        &[],
    );
    assert_eq!(f.list_flag("enable-admission-plugins"), ["A", "B"]);
    assert!(f.list_flag("absent").is_empty());
}

#[test]
fn flag_path_points_at_the_last_setting_argument() {
    let l = line(&["kube-apiserver", "--x=/a", "--v=2"], &["--x", "/b"]);
    assert_eq!(l.flag_path("x"), "spec.containers[1].args[0]");
    let l = line(&["kube-apiserver"], &["--v=2", "--x", "/b"]);
    assert_eq!(l.flag_path("x"), "spec.containers[1].args[1]");
    let l = line(&["kube-apiserver", "--x=/a", "--x=/c"], &[]);
    assert_eq!(l.flag_path("x"), "spec.containers[1].command[2]");
    assert_eq!(
        l.flag_path("xy"),
        "spec.containers[1].command",
        "a prefix is not the flag"
    );
}

#[test]
fn flag_path_without_the_flag_points_at_the_list_that_holds_flags() {
    assert_eq!(
        line(&["kube-apiserver", "--v=2"], &[]).flag_path("x"),
        "spec.containers[1].command"
    );
    assert_eq!(
        line(&[], &["--v=2"]).flag_path("x"),
        "spec.containers[1].args"
    );
}

#[test]
fn components_are_named_as_their_labels() {
    for c in Component::ALL {
        assert_eq!(Component::from_label(c.as_str()), Some(c));
    }
    assert_eq!(Component::from_label("kube-proxy"), None);
}
