//! Profiles: a user's own edits, and the first profile made from their token when the
//! deployment provisions users itself (`AUTO_PROVISION_USERS`).

use crate::auth::AuthUser;
use crate::db::users::{create_profile_if_missing, save_profile, User};
use crate::domain::Profile;
use crate::error::ApiError;
use tokio_postgres::GenericClient;

pub async fn update_own(db: &impl GenericClient, caller: &AuthUser, profile: &Profile) -> Result<User, ApiError> {
    save_profile(db, &caller.id, caller.email.as_deref(), profile).await?.ok_or_else(|| {
        ApiError::forbidden("account_erased", "this account was erased; its profile cannot be set again")
    })
}

/// Creates the caller's profile from their token's `user_metadata` unless they have one.
pub async fn provision(db: &impl GenericClient, caller: &AuthUser) -> Result<bool, ApiError> {
    let profile = Profile::from_token(caller.metadata.as_ref(), caller.email.as_deref(), caller.id.as_str());
    let created = create_profile_if_missing(db, &caller.id, caller.email.as_deref(), &profile).await?;
    if created {
        tracing::info!("profile created from the access token");
    }
    Ok(created)
}
