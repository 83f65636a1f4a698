//! The local stack's demo users (alice, bob, carol): seeded by `migrate --seed-demo` and signed in
//! through the dev server's `/dev/token`. Never part of a deployment.

use crate::db::users::{upsert_user, User};
use tokio_postgres::GenericClient;

/// A demo user: stable ids so bookmarks and tests keep working across resets.
pub struct DemoUser {
    pub handle: &'static str,
    pub id: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
}

pub const DEMO_USERS: [DemoUser; 3] = [
    DemoUser { handle: "alice", id: "00000000-0000-4000-8000-00000000a11c", first_name: "Alice", last_name: "Anders" },
    DemoUser { handle: "bob", id: "00000000-0000-4000-8000-000000000b0b", first_name: "Bob", last_name: "Brown" },
    DemoUser { handle: "carol", id: "00000000-0000-4000-8000-0000000ca201", first_name: "Carol", last_name: "Clark" },
];

impl DemoUser {
    pub fn find(handle: &str) -> Option<&'static DemoUser> {
        DEMO_USERS.iter().find(|u| u.handle == handle)
    }

    pub fn email(&self) -> String {
        format!("{}@demo.pusher-chat.local", self.handle)
    }

    /// The profile, with the avatar under `public_base_url` (absolute, so a frontend on another
    /// origin can show it) or relative to the page when there is none.
    pub fn user(&self, public_base_url: Option<&str>) -> User {
        User {
            id: self.id.to_owned(),
            first_name: self.first_name.to_owned(),
            last_name: self.last_name.to_owned(),
            avatar: Some(format!("{}/avatars/{}.svg", public_base_url.unwrap_or(""), self.handle)),
        }
    }
}

/// Inserts (or refreshes) the demo users.
pub async fn seed_demo_users(
    client: &impl GenericClient,
    public_base_url: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    for demo in &DEMO_USERS {
        upsert_user(client, &demo.user(public_base_url), Some(&demo.email())).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_users_have_valid_distinct_ids() {
        for demo in &DEMO_USERS {
            assert!(crate::domain::UserId::parse(demo.id).is_ok(), "{}", demo.handle);
            assert_eq!(DemoUser::find(demo.handle).map(|d| d.id), Some(demo.id));
        }
        let alice = DemoUser::find("alice").unwrap();
        assert_eq!(alice.user(None).avatar.as_deref(), Some("/avatars/alice.svg"));
        assert_eq!(
            alice.user(Some("http://127.0.0.1:4000")).avatar.as_deref(),
            Some("http://127.0.0.1:4000/avatars/alice.svg")
        );
        assert!(DemoUser::find("mallory").is_none());
    }
}
