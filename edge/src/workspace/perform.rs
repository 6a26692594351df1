//! Carries out the workspace model's effects that reach outside the object
//! or use a key it holds, and turns each result into the event that answers
//! it. Decides nothing: a catalog error is handed back to the model as it
//! is; any other failure is logged with its cause and handed back as
//! `internal`; a storage failure ends the request.

use keyswitch_shared::CatalogError;
use keyswitch_shared::ClientSecret;
use keyswitch_shared::vaults::keys::{Unwrapped, VaultKey};
use keyswitch_shared::vaults::model::{
    Answer, Effect, Event, KeyRef, Op, Sealable, SecretSource, ServicePrincipal,
};
use keyswitch_shared::vaults::{ItemForm, VaultId};
use worker::{Env, Storage};

use super::azure_app::{CustomerApp, Vault};
use super::envelope::{client_secret_aad, data_key_aad, item_aad, platform_vault_key_aad};
use super::store;
use crate::azure::entra::AccessToken;
use crate::config;
use crate::crypto::SecretKey;
use crate::error::EdgeError;

/// What one operation holds while it runs: its token for Key Vault.
#[derive(Default)]
pub struct Session {
    token: Option<AccessToken>,
}

/// The object's means: configuration, storage and the workspace's name.
pub struct Means<'a> {
    /// Bindings and configuration.
    pub env: &'a Env,
    /// The object's storage.
    pub storage: &'a Storage,
    /// The workspace (bound into every seal).
    pub workspace: &'a str,
}

/// What the model gets for a failure: catalog errors as they are; anything
/// else is logged with its cause and becomes `internal`.
fn answer_of<T>(
    result: Result<T, EdgeError>,
    answer: impl FnOnce(T) -> Answer,
) -> Result<Answer, CatalogError> {
    match result {
        Ok(value) => Ok(answer(value)),
        Err(e) => {
            let public = e.public();
            if matches!(public, CatalogError::Internal) {
                worker::console_error!("workspace effect failed: {}", e.chain());
            }
            Err(public)
        }
    }
}

fn answered(op: Op, answer: Result<Answer, CatalogError>) -> Event {
    Event::Answered {
        op: Box::new(op),
        answer,
    }
}

impl Means<'_> {
    fn platform_key(&self) -> Result<SecretKey, EdgeError> {
        SecretKey::from_base64(&config::secret(self.env, config::PLATFORM_KEY)?)
    }

    fn open_secret(&self, vault: &VaultId, sealed: &[u8]) -> Result<ClientSecret, EdgeError> {
        let plain = self
            .platform_key()?
            .open(sealed, client_secret_aad(self.workspace, vault).as_bytes())?;
        let text =
            String::from_utf8(plain).map_err(|_| EdgeError::corrupt("a stored client secret"))?;
        ClientSecret::new(&text).map_err(|_| EdgeError::corrupt("a stored client secret"))
    }

    async fn token(&self, principal: &ServicePrincipal) -> Result<AccessToken, EdgeError> {
        let opened;
        let secret = match &principal.secret {
            SecretSource::Typed(secret) => secret,
            SecretSource::Sealed { vault, sealed } => {
                opened = self.open_secret(vault, sealed)?;
                &opened
            }
        };
        CustomerApp {
            tenant: &principal.tenant_id,
            client_id: &principal.client_id,
            secret,
            vault: &principal.vault_uri,
        }
        .token(self.env)
        .await
    }

    /// The vault key an item operation uses.
    fn vault_key(&self, key: KeyRef, vault: &VaultId) -> Result<SecretKey, EdgeError> {
        match key {
            KeyRef::Unwrapped(key) => SecretKey::from_bytes(key.bytes()),
            KeyRef::Platform { sealed } => {
                let opened = self.platform_key()?.open(
                    &sealed,
                    platform_vault_key_aad(self.workspace, vault).as_bytes(),
                )?;
                SecretKey::from_bytes(&opened)
            }
        }
    }

    /// Carries out `effect` (one that has an answer) and returns the event
    /// that answers it.
    pub async fn perform(&self, effect: Effect, session: &mut Session) -> Result<Event, EdgeError> {
        let kv = || Vault::from_env(self.env);
        let token = |session: &Session| {
            session.token.clone().ok_or_else(|| {
                EdgeError::Worker("a Key Vault call before the operation's token".into())
            })
        };
        Ok(match effect {
            Effect::Token { principal, op } => {
                let result = self.token(&principal).await;
                let result = result.map(|t| session.token = Some(t));
                answered(op, answer_of(result, |()| Answer::Token))
            }
            Effect::GetKey { key, op } => {
                let result = match token(session) {
                    Ok(t) => kv().get_key(&t, &key).await,
                    Err(e) => Err(e),
                };
                answered(op, answer_of(result, |b| Answer::Key(Box::new(b))))
            }
            Effect::Wrap { key, vault_key, op } => {
                let result = match token(session) {
                    Ok(t) => kv().wrap(&t, &key, vault_key.bytes()).await,
                    Err(e) => Err(e),
                };
                answered(
                    op,
                    answer_of(result, |(kid, wrapped)| Answer::Wrapped { kid, wrapped }),
                )
            }
            Effect::Unwrap { wrapped, op } => {
                let result = match token(session) {
                    Ok(t) => kv().unwrap(&t, wrapped.kid(), wrapped.wrapped()).await,
                    Err(e) => Err(e),
                };
                answered(
                    op,
                    answer_of(result, |bytes| Answer::Unwrapped(Unwrapped(bytes))),
                )
            }
            Effect::NewVaultKey { op } => {
                let result = SecretKey::generate().and_then(|k| {
                    VaultKey::from_bytes(k.bytes()).ok_or(EdgeError::corrupt("a new vault key"))
                });
                answered(op, answer_of(result, Answer::NewVaultKey))
            }
            Effect::Seal { vault, what, op } => {
                let result = self.platform_key().and_then(|platform| match &what {
                    Sealable::VaultKey(key) => platform.seal(
                        key.bytes(),
                        platform_vault_key_aad(self.workspace, &vault).as_bytes(),
                    ),
                    Sealable::ClientSecret(secret) => platform.seal(
                        secret.secret().as_bytes(),
                        client_secret_aad(self.workspace, &vault).as_bytes(),
                    ),
                });
                answered(op, answer_of(result, Answer::Sealed))
            }
            Effect::LoadItem { vault, item, op } => {
                let stored = store::item(self.storage, &vault, &item).await?;
                answered(op, Ok(Answer::ItemLoaded(stored)))
            }
            Effect::SealItem {
                key,
                vault,
                item,
                content,
                op,
            } => {
                let result = (|| {
                    let vault_key = self.vault_key(key, &vault)?;
                    let data_key = SecretKey::generate()?;
                    let content = data_key.seal(
                        &serde_json::to_vec(&content.to_form())?,
                        item_aad(self.workspace, &vault, &item).as_bytes(),
                    )?;
                    let wrapped_data_key = vault_key.seal(
                        data_key.bytes(),
                        data_key_aad(self.workspace, &vault, &item).as_bytes(),
                    )?;
                    Ok((wrapped_data_key, content))
                })();
                answered(
                    op,
                    answer_of(result, |(wrapped_data_key, content)| Answer::ItemSealed {
                        wrapped_data_key,
                        content,
                    }),
                )
            }
            Effect::OpenItem { key, item, op } => {
                let result = (|| {
                    let vault_key = self.vault_key(key, &item.vault_id)?;
                    let data_key = SecretKey::from_bytes(&vault_key.open(
                        &item.wrapped_data_key,
                        data_key_aad(self.workspace, &item.vault_id, &item.id).as_bytes(),
                    )?)?;
                    let plain = data_key.open(
                        &item.content,
                        item_aad(self.workspace, &item.vault_id, &item.id).as_bytes(),
                    )?;
                    let form: ItemForm = serde_json::from_slice(&plain)
                        .map_err(|_| EdgeError::corrupt("a stored item"))?;
                    form.parse()
                        .map_err(|_| EdgeError::corrupt("a stored item"))
                })();
                answered(op, answer_of(result, Answer::ItemOpened))
            }
            Effect::Webhook(send) => {
                let result =
                    crate::webhook::deliver(self.env, &send, crate::clock::now_secs()).await;
                Event::WebhookAnswered {
                    attempt: send.attempt,
                    result,
                }
            }
            Effect::PutItem(_) | Effect::Audit(_) | Effect::Reply(_) => {
                return Err(EdgeError::Worker(
                    "a bookkeeping effect sent to perform".into(),
                ));
            }
        })
    }
}
