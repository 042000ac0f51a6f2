//! Who may sign in to the mock: the users of a `--users` file, or the one default user.

use std::path::Path;

use serde::Deserialize;
use zenith_protocol::Secret;

/// The default user's name, password and access token, for local testing only.
pub const DEMO: &str = "demo";

/// The users the mock signs in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    #[serde(rename = "user")]
    pub users: Vec<User>,
}

/// One user: how they sign in, and what they may do.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The name AuthOwner signs in with; also the identity's `UserID`.
    pub name: String,
    /// The password AuthOwner signs in with; none: AuthOwner is refused for this user.
    #[serde(default)]
    pub password: Option<Secret>,
    /// The client ids the user may sign in through; empty: any.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// The scopes (permissions) the user holds; empty: every scope.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Access tokens AuthToken accepts for this user, besides those the mock issues.
    #[serde(default)]
    pub access_tokens: Vec<Secret>,
}

/// Why a users file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read the users file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the users file {path} is not valid: {message}")]
    Invalid { path: String, message: String },
}

impl Users {
    /// The one default user: `demo`, password `demo`, access token `demo`, any client id, every
    /// scope.
    pub fn demo() -> Users {
        Users {
            users: vec![User {
                name: DEMO.to_owned(),
                password: Some(Secret::from(DEMO)),
                client_ids: Vec::new(),
                scopes: Vec::new(),
                access_tokens: vec![Secret::from(DEMO)],
            }],
        }
    }

    /// Reads a users file (TOML: `[[user]]` tables with `name`, `password`, `client_ids`,
    /// `scopes` and `access_tokens`).
    pub fn read(path: &Path) -> Result<Users, UsersError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read { path: shown.clone(), source })?;
        Users::parse(&text).map_err(|message| UsersError::Invalid { path: shown, message })
    }

    /// Reads the users of a TOML text; the error never shows a secret's value.
    pub fn parse(text: &str) -> Result<Users, String> {
        let users: Users = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        if users.users.is_empty() {
            return Err("it names no user (`[[user]]` tables)".to_owned());
        }
        if let Some(user) = users.users.iter().find(|u| u.name.trim().is_empty()) {
            return Err(format!("a user has an empty name (after `{}`)", users.before(user)));
        }
        for (index, user) in users.users.iter().enumerate() {
            if users.users[..index].iter().any(|u| u.name == user.name) {
                return Err(format!("the user `{}` is named twice", user.name));
            }
        }
        Ok(users)
    }

    /// The name of the user listed before `user`, for locating a problem.
    fn before(&self, user: &User) -> &str {
        let index = self.users.iter().position(|u| std::ptr::eq(u, user)).unwrap_or(0);
        index.checked_sub(1).map_or("the start", |i| self.users[i].name.as_str())
    }

    /// The user `name` signing in with `password` through `client_id`.
    pub fn by_password(&self, name: &str, password: &str, client_id: Option<&str>) -> Option<&User> {
        self.users.iter().find(|u| {
            u.name == name && u.password.as_ref().is_some_and(|p| p.expose() == password) && u.allows_client(client_id)
        })
    }

    /// The user an access token given in the users file belongs to.
    pub fn by_token(&self, token: &str) -> Option<&User> {
        self.users.iter().find(|u| u.access_tokens.iter().any(|t| t.expose() == token))
    }

    /// The user named `name`.
    pub fn named(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether the default user is among them (it must not be served beyond loopback).
    pub fn has_demo(&self) -> bool {
        self.users.iter().any(|u| u.name == DEMO && u.password.as_ref().is_some_and(|p| p.expose() == DEMO))
    }
}

impl User {
    pub fn allows_client(&self, client_id: Option<&str>) -> bool {
        self.client_ids.is_empty() || client_id.is_some_and(|id| self.client_ids.iter().any(|c| c == id))
    }

    /// Whether the user holds every one of `permissions`.
    pub fn may(&self, permissions: &[&str]) -> bool {
        self.scopes.is_empty() || permissions.iter().all(|p| self.scopes.iter().any(|s| s == p))
    }
}
