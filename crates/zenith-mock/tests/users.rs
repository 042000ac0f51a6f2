//! Users files: what they say, what they may not say, and secrets kept out of sight.

use zenith_mock::Users;

#[test]
fn a_users_file_names_users_their_credentials_and_scopes() {
    let users = Users::parse(
        "[[user]]\nname = \"alice\"\npassword = \"wonderland\"\nclient_ids = [\"TriOptimum\"]\nscopes = [\"Zenith/Market\"]\naccess_tokens = [\"alice-token\"]\n\n[[user]]\nname = \"bob\"\npassword = \"builder\"\n",
    )
    .unwrap();
    let alice = users.by_password("alice", "wonderland", Some("TriOptimum")).expect("alice signs in");
    assert!(users.by_password("alice", "wonderland", Some("Other")).is_none(), "not through another client");
    assert!(users.by_password("alice", "wrong", Some("TriOptimum")).is_none());
    assert!(alice.may(&["Zenith/Market"]) && !alice.may(&["Zenith/Trading"]));
    assert_eq!(users.by_token("alice-token").map(|u| u.name.as_str()), Some("alice"));
    let bob = users.by_password("bob", "builder", None).expect("bob, any client");
    assert!(bob.may(&["Zenith/Trading"]), "no scopes listed: every scope");
    assert!(!users.has_demo());
    assert!(Users::demo().has_demo());
    // Neither Debug nor anything else shows a password or a token.
    let shown = format!("{users:?}");
    assert!(!shown.contains("wonderland") && !shown.contains("alice-token") && !shown.contains("builder"), "{shown}");
}

#[test]
fn a_users_file_that_cannot_be_used_says_why_without_its_secrets() {
    let error = Users::parse("[[user]]\nname = \"alice\"\npasword = \"wonderland\"\n").unwrap_err();
    assert!(error.contains("pasword"), "{error}");
    assert!(!error.contains("wonderland"), "{error}");
    let error = Users::parse("").unwrap_err();
    assert!(error.contains("user"), "{error}");
    let error = Users::parse("[[user]]\nname = \" \"\n").unwrap_err();
    assert!(error.contains("empty name"), "{error}");
    let error = Users::parse("[[user]]\nname = \"a\"\n[[user]]\nname = \"a\"\n").unwrap_err();
    assert!(error.contains("`a` is named twice"), "{error}");
    let error = Users::read(std::path::Path::new("/nonexistent/users.toml")).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/users.toml"), "{error}");
}
