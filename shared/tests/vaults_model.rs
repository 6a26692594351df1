//! The workspace model (seed 001) driven through `update` alone, with a
//! small stand-in for the outside world (Entra, Key Vault, the platform key,
//! item storage) that carries out every effect: unit tests of each decision,
//! and a property test over random interleavings of requests, outside
//! answers and faults.

use std::collections::{BTreeMap, BTreeSet};

use keyswitch_shared::keyvault::{KeyBundle, encode_base64url};
use keyswitch_shared::vaults::keys::{Unwrapped, VaultKey};
use keyswitch_shared::vaults::model::{
    Answer, Ctx, Effect, Event, KeyRef, Protection, Reply, Sealable, SecretSource, Workspace,
    update,
};
use keyswitch_shared::vaults::{
    AzureForm, CreateVaultForm, ItemForm, ItemId, ItemKind, KeyState, StoredItem, VaultAuditEvent,
    VaultId, VaultStrategy,
};
use keyswitch_shared::{Actor, AuditAction, CatalogError, ClientSecret, KeyId, Outcome, Role};
use proptest::prelude::*;

const TENANT: &str = "72f988bf-0000-4c3a-9d6e-c0ffee000001";
const NAMES: [&str; 4] = ["Finance", "finance", "Ops", "HR"];
const KEYS: [&str; 4] = ["company-kek", "other-kek", "small-key", "no-such-key"];

fn app_id(n: u8) -> String {
    format!("0c9d8e7f-1111-4a2b-8c3d-0000000000{n:02x}")
}

fn owner() -> Actor {
    Actor {
        sub: "u1".into(),
        name: "Olga Owner".into(),
        role: Role::WorkspaceOwner,
        companies: vec!["ws1".into()],
    }
}

/// How the outside world answers one effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// Key Vault or Entra unreachable.
    Outage,
    /// Throttled.
    Throttled,
    /// An internal failure at the edge (storage, crypto).
    Internal,
    /// Unwrap answers other bytes than were wrapped.
    WrongUnwrap,
}

/// An effect waiting for its answer, and what the operation holds.
struct Chain {
    effect: Effect,
    /// The app whose token the operation holds.
    token: Option<String>,
}

/// How an operation ended.
#[derive(Debug)]
enum End {
    Replied(Box<Reply>, VaultAuditEvent),
    Refused(CatalogError),
}

/// The model and the outside world, as the edge sees it through effects.
struct Harness {
    model: Workspace,
    counter: u64,
    /// App client id → its current secret in Entra.
    apps: BTreeMap<String, String>,
    /// Apps whose Key Vault role was revoked.
    revoked: BTreeSet<String>,
    /// Key name → RSA size.
    keys: BTreeMap<String, u32>,
    /// Wrapped bytes → (kid, plaintext).
    wrapped: BTreeMap<Vec<u8>, (KeyId, Vec<u8>)>,
    /// (kid, wrapped) pairs whose unwrap gave back what was wrapped.
    proven: BTreeSet<(String, Vec<u8>)>,
    /// Sealed by the platform key → plaintext.
    sealed: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Stored items.
    items: BTreeMap<(VaultId, ItemId), StoredItem>,
    /// Item contents by sealed content.
    contents: BTreeMap<Vec<u8>, ItemForm>,
    /// Every secret typed (must never show in `Debug`).
    secrets: BTreeSet<String>,
    /// Operations waiting for an answer.
    pending: Vec<Chain>,
    /// How operations ended, in order.
    ends: Vec<End>,
    /// How many operations were started.
    started: usize,
}

impl Harness {
    fn new() -> Self {
        let mut h = Self {
            model: Workspace::default(),
            counter: 0,
            apps: BTreeMap::new(),
            revoked: BTreeSet::new(),
            keys: BTreeMap::new(),
            wrapped: BTreeMap::new(),
            proven: BTreeSet::new(),
            sealed: BTreeMap::new(),
            items: BTreeMap::new(),
            contents: BTreeMap::new(),
            secrets: BTreeSet::new(),
            pending: Vec::new(),
            ends: Vec::new(),
            started: 0,
        };
        for n in 0..3 {
            h.apps.insert(app_id(n), format!("app-secret-{n}"));
            h.secrets.insert(format!("app-secret-{n}"));
        }
        h.keys.insert("company-kek".into(), 4096);
        h.keys.insert("other-kek".into(), 4096);
        h.keys.insert("small-key".into(), 2048);
        // Keys with a validity window (`nbf`, `exp`), around the harness's
        // clock (2023-11-14, Unix 1,700,000,000 and on).
        for name in ["expired-kek", "future-kek", "dated-kek"] {
            h.keys.insert(name.into(), 4096);
        }
        h
    }

    fn ctx(&mut self) -> Ctx {
        self.counter += 1;
        let mut fresh = [0u8; 16];
        fresh[..8].copy_from_slice(&self.counter.to_be_bytes());
        Ctx {
            workspace: "ws1".parse().expect("a workspace id"),
            now_ms: 1_700_000_000_000 + self.counter * 1000,
            fresh,
            health_interval_ms: 300_000,
            notify: keyswitch_shared::notify::NotifyPolicy::default(),
        }
    }

    fn tag(&mut self, prefix: u8, plain: &[u8]) -> Vec<u8> {
        self.counter += 1;
        let mut out = vec![prefix];
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend(plain.iter().map(|b| b ^ 0x5a));
        out
    }

    // ---- requests ----

    fn create_form(&self, name: &str, azure: Option<(u8, &str, bool)>, default: bool) -> Event {
        let azure = azure.map(|(app, key, good)| AzureForm {
            client_id: app_id(app),
            tenant_id: TENANT.into(),
            client_secret: if good {
                self.apps.get(&app_id(app)).cloned().unwrap_or_default()
            } else {
                "wrong-secret".into()
            },
            vault_uri: "https://contoso-kms.vault.azure.net".into(),
            key_name: key.into(),
        });
        let form = CreateVaultForm {
            name: name.into(),
            strategy: if azure.is_some() {
                "azure_external_keys"
            } else {
                "cloud"
            }
            .into(),
            is_default: default,
            azure,
        };
        Event::Create {
            actor: owner(),
            vault: form.parse().expect("a valid form"),
        }
    }

    fn item_form(&mut self) -> ItemForm {
        self.counter += 1;
        let secret = format!("item-secret-{}", self.counter);
        self.secrets.insert(secret.clone());
        ItemForm {
            kind: ItemKind::Secret,
            name: format!("item {}", self.counter),
            username: None,
            secret,
            url: None,
            notes: None,
        }
    }

    /// Starts an operation: its first step.
    fn start(&mut self, event: Event) {
        self.started += 1;
        self.step(event, None);
    }

    /// Runs `update` for one event of an operation and checks what it did.
    fn step(&mut self, event: Event, token: Option<String>) {
        let before = self.model.clone();
        let ctx = self.ctx();
        let (next, effects) = match update(&self.model, event, &ctx) {
            Ok(done) => done,
            Err(e) => {
                // A refusal changes nothing and is not audited.
                self.ends.push(End::Refused(e));
                return;
            }
        };
        let shown = format!("{effects:?} {next:?}");
        for s in &self.secrets {
            assert!(!shown.contains(s.as_str()), "a secret in Debug output");
        }
        let mut io = Vec::new();
        let mut audits = Vec::new();
        let mut replies = Vec::new();
        let mut puts = Vec::new();
        for e in effects {
            match e {
                Effect::Audit(a) => {
                    assert!(
                        a.action.in_workspace_trail(),
                        "{:?} in the workspace's trail",
                        a.action
                    );
                    audits.push(a);
                }
                Effect::Reply(r) => replies.push(r),
                Effect::PutItem(item) => puts.push(item),
                other => io.push(other),
            }
        }
        if replies.is_empty() {
            // A step in flight: one outside call, nothing audited yet.
            assert_eq!(io.len(), 1, "one effect in flight");
            assert!(audits.is_empty() && puts.is_empty());
        } else {
            // The last step: one audit event, one answer, no call left.
            assert_eq!((replies.len(), audits.len()), (1, 1));
            assert!(io.is_empty());
        }
        let failed = matches!(replies.first(), Some(Reply::Failed(_)));
        for a in &audits {
            assert_eq!(
                a.outcome == Outcome::Failed,
                failed,
                "the audit outcome says how it ended"
            );
        }
        if failed {
            // A failed operation adds and removes nothing.
            assert!(puts.is_empty());
            let ids = |w: &Workspace| {
                w.vaults()
                    .iter()
                    .map(|v| (v.id().clone(), v.item_count()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&next), ids(&before));
            assert_eq!(next.default_vault(), before.default_vault());
        }
        for item in puts {
            self.items
                .insert((item.vault_id.clone(), item.id.clone()), item);
        }
        self.model = next;
        self.check();
        if let (Some(reply), Some(audit)) = (replies.pop(), audits.pop()) {
            self.ends.push(End::Replied(Box::new(reply), audit));
        }
        if let Some(effect) = io.pop() {
            self.pending.push(Chain { effect, token });
        }
    }

    /// Answers the `i`-th pending effect (with `fault`) and runs the next step.
    fn advance(&mut self, i: usize, fault: Fault) {
        if self.pending.is_empty() {
            return;
        }
        let chain = self.pending.remove(i % self.pending.len());
        let (event, token) = self.perform(chain, fault);
        self.step(event, token);
    }

    /// Answers every pending effect without faults.
    fn drain(&mut self) {
        while !self.pending.is_empty() {
            self.advance(0, Fault::None);
        }
    }

    /// Runs one request to its end without faults and returns how it ended.
    fn run(&mut self, event: Event) -> End {
        self.start(event);
        self.drain();
        self.ends.pop().expect("an end")
    }

    // ---- the outside world ----

    fn bundle(&self, key: &KeyId) -> Result<KeyBundle, CatalogError> {
        let name = key.name();
        let Some(bits) = self.keys.get(name.as_str()) else {
            return Err(CatalogError::KeyNotFound {
                key_name: Some(name.as_str().into()),
            });
        };
        let mut n = vec![0xffu8; (*bits / 8) as usize];
        n[0] = 0x80;
        let kid = format!("{}/0123456789abcdef0123456789abcdef", key.versionless());
        Ok(serde_json::from_value(serde_json::json!({
            "key": {"kid": kid, "kty": "RSA", "key_ops": ["wrapKey", "unwrapKey"],
                    "n": encode_base64url(&n), "e": "AQAB"},
            "attributes": match name.as_str() {
                "expired-kek" => serde_json::json!({"enabled": true, "exp": 1_600_000_000}),
                "future-kek" => serde_json::json!({"enabled": true, "nbf": 1_800_000_000}),
                "dated-kek" => serde_json::json!(
                    {"enabled": true, "nbf": 1_600_000_000, "exp": 1_800_000_000}
                ),
                _ => serde_json::json!({"enabled": true}),
            }
        }))
        .expect("a key bundle"))
    }

    /// Key Vault's answer to a caller holding `token`, or its refusal.
    fn key_vault(&self, token: Option<&String>, fault: Fault) -> Result<(), CatalogError> {
        let app = token.expect("a Key Vault call before a token");
        match fault {
            Fault::Outage => Err(CatalogError::AzureUnavailable),
            Fault::Throttled => Err(CatalogError::Throttled),
            Fault::Internal => Err(CatalogError::Internal),
            _ if self.revoked.contains(app) => Err(CatalogError::KeyVaultForbidden),
            _ => Ok(()),
        }
    }

    /// Carries out an outside call or key use: the event that answers it.
    fn perform(&mut self, chain: Chain, fault: Fault) -> (Event, Option<String>) {
        let Chain { effect, mut token } = chain;
        let internal = || Err(CatalogError::Internal);
        let (op, answer) = match effect {
            Effect::Token { principal, op } => {
                let secret = match &principal.secret {
                    SecretSource::Typed(s) => s.secret().to_owned(),
                    SecretSource::Sealed { sealed, .. } => {
                        String::from_utf8(self.sealed[sealed].clone())
                            .expect("a sealed secret is text")
                    }
                };
                let client = principal.client_id.as_str().to_owned();
                let answer = match fault {
                    Fault::Outage => Err(CatalogError::AzureUnavailable),
                    Fault::Internal => internal(),
                    _ if self.apps.get(&client) != Some(&secret) => {
                        Err(CatalogError::ClientSecretInvalid)
                    }
                    _ => {
                        token = Some(client);
                        Ok(Answer::Token)
                    }
                };
                (op, answer)
            }
            Effect::GetKey { key, op } => {
                // The current version (create, test) or exactly the version
                // the vault key is wrapped with (the health check).
                let answer = self.key_vault(token.as_ref(), fault).and_then(|()| {
                    self.bundle(&key.versionless())
                        .map(|b| Answer::Key(Box::new(b)))
                });
                (op, answer)
            }
            Effect::Wrap { key, vault_key, op } => {
                assert!(key.version().is_none(), "wrap with the versionless key");
                let answer = self.key_vault(token.as_ref(), fault).map(|()| {
                    let kid: KeyId = format!("{key}/0123456789abcdef0123456789abcdef")
                        .parse()
                        .expect("a kid");
                    let wrapped = self.tag(b'W', vault_key.bytes());
                    self.wrapped
                        .insert(wrapped.clone(), (kid.clone(), vault_key.bytes().to_vec()));
                    Answer::Wrapped { kid, wrapped }
                });
                (op, answer)
            }
            Effect::Unwrap { wrapped, op } => {
                let answer = self.key_vault(token.as_ref(), fault).map(|()| {
                    let (kid, plain) = self.wrapped[wrapped.wrapped()].clone();
                    assert_eq!(&kid, wrapped.kid(), "unwrap with the kid that wrapped");
                    if fault == Fault::WrongUnwrap {
                        Answer::Unwrapped(Unwrapped(vec![0; 32]))
                    } else {
                        self.proven
                            .insert((kid.as_str().to_owned(), wrapped.wrapped().to_vec()));
                        Answer::Unwrapped(Unwrapped(plain))
                    }
                });
                (op, answer)
            }
            Effect::NewVaultKey { op } => {
                self.counter += 1;
                let mut k = [1u8; 32];
                k[..8].copy_from_slice(&self.counter.to_be_bytes());
                (
                    op,
                    Ok(Answer::NewVaultKey(
                        VaultKey::from_bytes(&k).expect("32 bytes"),
                    )),
                )
            }
            Effect::Seal { what, op, .. } => {
                let plain = match &what {
                    Sealable::VaultKey(k) => k.bytes().to_vec(),
                    Sealable::ClientSecret(s) => s.secret().as_bytes().to_vec(),
                };
                let answer = if fault == Fault::Internal {
                    internal()
                } else {
                    let sealed = self.tag(b'P', &plain);
                    self.sealed.insert(sealed.clone(), plain);
                    Ok(Answer::Sealed(sealed))
                };
                (op, answer)
            }
            Effect::LoadItem { vault, item, op } => {
                let found = self.items.get(&(vault, item)).cloned();
                (op, Ok(Answer::ItemLoaded(found)))
            }
            Effect::SealItem {
                key, content, op, ..
            } => {
                self.check_key_ref(&key);
                let form = content.to_form();
                let sealed = self.tag(b'I', form.name.as_bytes());
                self.contents.insert(sealed.clone(), form);
                let answer = if fault == Fault::Internal {
                    internal()
                } else {
                    Ok(Answer::ItemSealed {
                        wrapped_data_key: vec![1, 2, 3],
                        content: sealed,
                    })
                };
                (op, answer)
            }
            Effect::OpenItem { key, item, op } => {
                self.check_key_ref(&key);
                let form = self.contents[&item.content].clone();
                let answer = if fault == Fault::Internal {
                    internal()
                } else {
                    Ok(Answer::ItemOpened(
                        form.parse().expect("stored content parses"),
                    ))
                };
                (op, answer)
            }
            other => panic!("not an effect in flight: {other:?}"),
        };
        let event = Event::Answered {
            op: Box::new(op),
            answer,
        };
        (event, token)
    }

    fn check_key_ref(&self, key: &KeyRef) {
        if let KeyRef::Platform { sealed } = key {
            assert!(self.sealed.contains_key(sealed), "a platform-sealed key");
        }
    }

    // ---- invariants ----

    fn check(&self) {
        let m = &self.model;
        // At most one default vault, always one while there are vaults.
        match m.default_vault() {
            None => assert!(m.vaults().is_empty(), "vaults but no default"),
            Some(d) => assert!(m.vaults().iter().any(|v| v.id() == d), "default unknown"),
        }
        // One cloud vault per provider, unique names, at most 50.
        for s in [VaultStrategy::Cloud, VaultStrategy::AzureExternalKeys] {
            assert!(m.vaults().iter().filter(|v| v.strategy() == s).count() <= 1);
        }
        for (i, a) in m.vaults().iter().enumerate() {
            for b in &m.vaults()[i + 1..] {
                assert!(!a.name().same_as(b.name()), "two vaults named alike");
            }
        }
        assert!(m.vaults().len() <= 50);
        for v in m.vaults() {
            // The item count is what was stored.
            let stored = self.items.keys().filter(|(vid, _)| vid == v.id()).count();
            assert_eq!(v.item_count(), stored as u64);
            if let Protection::Azure(a) = v.protection() {
                // The wrapped vault key is recorded with the kid that wrapped
                // it, and only after the wrap/unwrap proof passed.
                let w = a.wrapped();
                let (kid, _) = &self.wrapped[w.wrapped()];
                assert_eq!(kid, w.kid());
                assert!(
                    self.proven
                        .contains(&(w.kid().as_str().to_owned(), w.wrapped().to_vec())),
                    "an Azure vault without a passing proof"
                );
            }
        }
        // The stored shape restores the same model.
        let records = m.changed_records(None);
        let json = serde_json::to_value(&records).expect("records serialize");
        let back = Workspace::restore(
            serde_json::from_value(json).expect("records restore"),
            m.default_vault().cloned(),
        )
        .expect("records read back");
        assert_eq!(&back, m);
    }
}

fn replied(end: End) -> (Reply, VaultAuditEvent) {
    match end {
        End::Replied(r, a) => (*r, a),
        End::Refused(e) => panic!("refused: {e:?}"),
    }
}

fn vault_of(reply: &Reply) -> VaultId {
    match reply {
        Reply::Vault(v) => v.id.parse().expect("a vault id"),
        other => panic!("not a vault: {other:?}"),
    }
}

fn failure(end: End) -> (CatalogError, VaultAuditEvent) {
    match end {
        End::Replied(r, a) => match *r {
            Reply::Failed(e) => (e, a),
            other => panic!("did not fail: {other:?}"),
        },
        other => panic!("did not fail: {other:?}"),
    }
}

// ---- decisions, one by one ----

#[test]
fn a_cloud_vault_is_created_as_the_default() {
    let mut h = Harness::new();
    let event = h.create_form("Cloud", None, false);
    let (reply, audit) = replied(h.run(event));
    let Reply::Vault(v) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(v.strategy, VaultStrategy::Cloud);
    assert!(v.is_default);
    assert_eq!(v.key_status.state, KeyState::PlatformManaged);
    assert_eq!(
        (audit.action, audit.outcome),
        (AuditAction::VaultCreated, Outcome::Succeeded)
    );
    assert_eq!(audit.detail.as_deref(), Some("cloud"));
    assert_eq!(audit.actor_role, Role::WorkspaceOwner);
}

#[test]
fn an_azure_vault_is_created_after_the_proof_and_records_the_kid() {
    let mut h = Harness::new();
    let event = h.create_form("Finance", Some((0, "company-kek", true)), true);
    let (reply, audit) = replied(h.run(event));
    let Reply::Vault(v) = reply else {
        panic!("{reply:?}")
    };
    let azure = v.azure.expect("azure");
    assert_eq!(azure.key_size_bits, 4096);
    assert!(azure.kid.version().is_some());
    assert_eq!(v.key_status.state, KeyState::Available);
    let detail = audit.detail.unwrap();
    assert!(
        detail.starts_with("azure_external_keys; wrapped with https://"),
        "{detail}"
    );

    // The proof fails: nothing is created, the failure is audited.
    let mut h = Harness::new();
    let event = h.create_form("Finance", Some((0, "company-kek", true)), true);
    h.start(event);
    for _ in 0..4 {
        h.advance(0, Fault::None); // token, GET key, new key, wrap
    }
    h.advance(0, Fault::WrongUnwrap);
    h.drain();
    let (e, audit) = failure(h.ends.pop().unwrap());
    assert_eq!(e.code(), "unexpected_answer");
    assert_eq!(
        (audit.action, audit.outcome, audit.vault_id),
        (AuditAction::VaultCreate, Outcome::Failed, None)
    );
    assert!(h.model.vaults().is_empty());
}

#[test]
fn only_rsa_4096_and_valid_credentials_are_accepted() {
    let mut h = Harness::new();
    let event = h.create_form("V", Some((0, "small-key", true)), false);
    let (e, audit) = failure(h.run(event));
    assert_eq!(e.code(), "key_not_rsa_4096");
    assert!(e.message().contains("RSA 2048"));
    assert_eq!(audit.detail.as_deref(), Some("key_not_rsa_4096"));
    let event = h.create_form("V", Some((0, "no-such-key", true)), false);
    assert_eq!(failure(h.run(event)).0.code(), "key_not_found");
    let event = h.create_form("V", Some((0, "company-kek", false)), false);
    assert_eq!(failure(h.run(event)).0.code(), "client_secret_invalid");
    assert!(h.model.vaults().is_empty());
}

#[test]
fn a_key_outside_its_validity_window_is_refused_by_the_clock_of_the_request() {
    // The harness's clock is 2023-11: a key expired in 2020 or valid only
    // from 2027 is refused; one valid 2020-2027 is used.
    let mut h = Harness::new();
    let event = h.create_form("V", Some((0, "expired-kek", true)), false);
    assert_eq!(failure(h.run(event)).0.code(), "key_expired");
    let event = h.create_form("V", Some((0, "future-kek", true)), false);
    assert_eq!(failure(h.run(event)).0.code(), "key_not_yet_valid");
    assert!(h.model.vaults().is_empty());
    let event = h.create_form("V", Some((0, "dated-kek", true)), false);
    let (reply, _) = replied(h.run(event));
    assert!(matches!(reply, Reply::Vault(_)), "{reply:?}");
}

#[test]
fn only_the_vaults_that_changed_are_stored() {
    let mut h = Harness::new();
    let event = h.create_form("Cloud", None, false);
    replied(h.run(event));
    let event = h.create_form("Azure", Some((0, "company-kek", true)), false);
    let azure = vault_of(&replied(h.run(event)).0);
    assert_eq!(h.model.changed_records(None).len(), 2);
    let before = h.model.clone();
    assert!(h.model.changed_records(Some(&before)).is_empty());
    h.revoked.insert(app_id(0));
    failure(h.run(Event::Test {
        actor: owner(),
        vault: azure.clone(),
    }));
    let changed: Vec<_> = h
        .model
        .changed_records(Some(&before))
        .iter()
        .map(|r| r.id().clone())
        .collect();
    assert_eq!(changed, [azure]);
}

#[test]
fn one_cloud_vault_per_provider_and_unique_names() {
    let mut h = Harness::new();
    let event = h.create_form("Finance", Some((0, "company-kek", true)), false);
    replied(h.run(event));
    let event = h.create_form("Second", Some((1, "other-kek", true)), false);
    let (e, _) = failure(h.run(event));
    assert_eq!(e, CatalogError::CloudVaultExists);
    let event = h.create_form("FINANCE", None, false);
    assert_eq!(failure(h.run(event)).0.code(), "conflict");
    let event = h.create_form("Cloud", None, false);
    replied(h.run(event));
    let event = h.create_form("Cloud 2", None, false);
    let (e, _) = failure(h.run(event));
    assert_eq!(e.code(), "conflict");
    assert!(e.message().contains("CyberSentriq-managed"));
    assert_eq!(h.model.vaults().len(), 2);
}

#[test]
fn interleaved_creates_keep_one_vault_per_provider() {
    let mut h = Harness::new();
    let first = h.create_form("A", Some((0, "company-kek", true)), false);
    let second = h.create_form("B", Some((1, "other-kek", true)), true);
    h.start(first);
    h.start(second);
    // Both pass the rules at the start; the second one to finish is refused.
    h.drain();
    let ends: Vec<End> = h.ends.drain(..).collect();
    let created = ends
        .iter()
        .filter(|e| matches!(e, End::Replied(r, _) if matches!(**r, Reply::Vault(_))))
        .count();
    let refused = ends
        .iter()
        .filter(|e| {
            matches!(e, End::Replied(r, _) if matches!(**r, Reply::Failed(CatalogError::CloudVaultExists)))
        })
        .count();
    assert_eq!((created, refused), (1, 1));
    assert_eq!(h.model.vaults().len(), 1);
}

#[test]
fn the_default_is_exclusive_and_explicit() {
    let mut h = Harness::new();
    let event = h.create_form("Cloud", None, false);
    let cloud = vault_of(&replied(h.run(event)).0);
    let event = h.create_form("Azure", Some((0, "company-kek", true)), false);
    let azure = vault_of(&replied(h.run(event)).0);
    assert_eq!(h.model.default_vault(), Some(&cloud));
    let (reply, audit) = replied(h.run(Event::SetDefault {
        actor: owner(),
        vault: azure.clone(),
    }));
    assert!(matches!(reply, Reply::Vault(v) if v.is_default));
    assert_eq!(audit.action, AuditAction::DefaultVaultSet);
    let list = h.model.list(&"ws1".parse().unwrap());
    let marked: Vec<_> = list
        .vaults
        .iter()
        .map(|v| (v.id.clone(), v.is_default))
        .collect();
    assert_eq!(
        marked,
        [
            (cloud.as_str().to_owned(), false),
            (azure.as_str().to_owned(), true)
        ]
    );
    // The object stores the outbox apart and puts it back on load.
    let again = h.model.clone().with_outbox(h.model.outbox().clone());
    assert_eq!(again, h.model);
    // An unknown vault is refused: nothing changes, nothing is audited.
    let before = h.model.clone();
    let end = h.run(Event::SetDefault {
        actor: owner(),
        vault: VaultId::from_random([9; 16]),
    });
    assert!(matches!(end, End::Refused(CatalogError::NotFound { .. })));
    assert_eq!(h.model, before);
}

#[test]
fn a_stored_record_of_another_item_is_not_read_in_its_place() {
    // Storage answers a read of item A with item B's record (same vault):
    // the model refuses it as not found instead of opening B.
    let mut h = Harness::new();
    let event = h.create_form("Azure", Some((0, "company-kek", true)), true);
    let vault = vault_of(&replied(h.run(event)).0);
    let ids = [store_item(&mut h, &vault), store_item(&mut h, &vault)];
    let other = h.items[&(vault.clone(), ids[1].clone())].clone();
    h.items.insert((vault.clone(), ids[0].clone()), other);
    let end = read_item(&mut h, &vault, &ids[0]);
    assert!(
        matches!(end, End::Refused(CatalogError::NotFound { .. })),
        "{end:?}"
    );
}

/// Stores a new item (the harness's next form) in `vault`: its id.
fn store_item(h: &mut Harness, vault: &VaultId) -> ItemId {
    let content = h.item_form().parse().expect("a valid form");
    let (reply, _) = replied(h.run(Event::CreateItem {
        actor: owner(),
        vault: vault.clone(),
        content,
    }));
    let Reply::ItemStored(item) = reply else {
        panic!("{reply:?}")
    };
    item.id.parse().expect("an item id")
}

/// Reads `item` of `vault` to its end.
fn read_item(h: &mut Harness, vault: &VaultId, item: &ItemId) -> End {
    h.run(Event::ReadItem {
        actor: owner(),
        vault: vault.clone(),
        item: item.clone(),
    })
}

/// Reads `item` with `fault` at the token step (after the item's load).
fn read_failing_at_the_token(
    h: &mut Harness,
    vault: &VaultId,
    item: &ItemId,
    fault: Fault,
) -> CatalogError {
    h.start(Event::ReadItem {
        actor: owner(),
        vault: vault.clone(),
        item: item.clone(),
    });
    h.advance(0, Fault::None); // load
    h.advance(0, fault); // token
    failure(h.ends.pop().expect("the read ended")).0
}

#[test]
fn items_need_the_azure_key_every_time() {
    let mut h = Harness::new();
    let event = h.create_form("Azure", Some((0, "company-kek", true)), true);
    let vault = vault_of(&replied(h.run(event)).0);
    let form = h.item_form();
    let (reply, audit) = replied(h.run(Event::CreateItem {
        actor: owner(),
        vault: vault.clone(),
        content: form.parse().unwrap(),
    }));
    let Reply::ItemStored(item) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(audit.detail.as_deref(), Some(item.id.as_str()));
    assert_eq!(h.model.vault(&vault).unwrap().item_count(), 1);
    let item: ItemId = item.id.parse().unwrap();
    let read = |h: &mut Harness| read_item(h, &vault, &item);
    let (reply, _) = replied(read(&mut h));
    assert!(matches!(&reply, Reply::Item(i) if i.content.secret == form.secret));

    // Revoked: unreachable, says why, marks the key; nothing is lost.
    h.revoked.insert(app_id(0));
    let (e, audit) = failure(read(&mut h));
    assert_eq!((e.code(), e.status()), ("vault_key_unreachable", 422));
    assert!(e.message().contains("Key Vault Crypto User"));
    assert_eq!(
        audit.detail.as_deref(),
        Some(format!("{item}: vault_key_unreachable").as_str())
    );
    let status = h.model.vault(&vault).unwrap().key_status().clone();
    assert_eq!(status.state, KeyState::Unreachable);
    assert_eq!(status.error.unwrap().code, "vault_key_unreachable");
    // Restored: reads again, the key is available again.
    h.revoked.clear();
    replied(read(&mut h));
    let state = h.model.vault(&vault).unwrap().key_status().state;
    assert_eq!(state, KeyState::Available);
    // The edge's own failure (storage, crypto) on the way to the key says
    // nothing about the key: an internal error, the key still available.
    let e = read_failing_at_the_token(&mut h, &vault, &item, Fault::Internal);
    assert_eq!(e.code(), "internal");
    let state = h.model.vault(&vault).unwrap().key_status().state;
    assert_eq!(state, KeyState::Available);
    // An outage is a 503 that says so.
    let e = read_failing_at_the_token(&mut h, &vault, &item, Fault::Outage);
    assert_eq!((e.code(), e.status()), ("vault_key_unreachable", 503));
    // An unknown item is refused without an audit event.
    let end = h.run(Event::ReadItem {
        actor: owner(),
        vault: vault.clone(),
        item: ItemId::from_random([3; 16]),
    });
    assert!(matches!(end, End::Refused(CatalogError::NotFound { .. })));
}

#[test]
fn cloud_items_use_the_platform_key() {
    let mut h = Harness::new();
    let event = h.create_form("Cloud", None, true);
    let vault = vault_of(&replied(h.run(event)).0);
    let form = h.item_form();
    let (reply, _) = replied(h.run(Event::CreateItem {
        actor: owner(),
        vault: vault.clone(),
        content: form.parse().unwrap(),
    }));
    let Reply::ItemStored(item) = reply else {
        panic!("{reply:?}")
    };
    let (reply, audit) = replied(h.run(Event::ReadItem {
        actor: owner(),
        vault,
        item: item.id.parse().unwrap(),
    }));
    assert!(matches!(reply, Reply::Item(_)));
    assert_eq!(audit.action, AuditAction::ItemRead);
}

#[test]
fn a_test_marks_the_key_and_a_secret_is_replaced_only_after_a_test() {
    let mut h = Harness::new();
    let event = h.create_form("Azure", Some((0, "company-kek", true)), true);
    let vault = vault_of(&replied(h.run(event)).0);
    let test = |h: &mut Harness| {
        h.run(Event::Test {
            actor: owner(),
            vault: vault.clone(),
        })
    };
    // The secret was rotated in Entra: the test fails and says why.
    h.apps.insert(app_id(0), "rotated-secret".into());
    h.secrets.insert("rotated-secret".into());
    let (e, audit) = failure(test(&mut h));
    assert_eq!(e.code(), "client_secret_invalid");
    assert_eq!(audit.action, AuditAction::ConnectionTested);
    let status = h.model.vault(&vault).unwrap().key_status().clone();
    assert_eq!(status.state, KeyState::Unreachable);
    assert_eq!(status.error.unwrap().code, "client_secret_invalid");
    // A wrong replacement changes nothing.
    let before = h.model.clone();
    let (e, audit) = failure(h.run(Event::ReplaceSecret {
        actor: owner(),
        vault: vault.clone(),
        secret: ClientSecret::new("still-wrong").unwrap(),
    }));
    assert_eq!(e.code(), "client_secret_invalid");
    assert_eq!(audit.action, AuditAction::ClientSecretReplaced);
    assert_eq!(h.model, before);
    // The right one is tested, then stored; the key is available again.
    let (reply, audit) = replied(h.run(Event::ReplaceSecret {
        actor: owner(),
        vault: vault.clone(),
        secret: ClientSecret::new("rotated-secret").unwrap(),
    }));
    assert_eq!(audit.detail.as_deref(), Some("connection re-tested"));
    let Reply::Vault(v) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(v.key_status.state, KeyState::Available);
    replied(test(&mut h));
    // A cloud vault has no secret to replace.
    let event = h.create_form("Cloud", None, false);
    let cloud = vault_of(&replied(h.run(event)).0);
    let (e, _) = failure(h.run(Event::ReplaceSecret {
        actor: owner(),
        vault: cloud,
        secret: ClientSecret::new("x").unwrap(),
    }));
    assert_eq!(e.code(), "conflict");
}

#[test]
fn records_written_before_the_model_read_back() {
    // A vault record as the object stored it before the model (no count).
    let legacy = serde_json::json!({
        "id": "v0123456789abcdef0123456789abcdef",
        "name": "Finance",
        "strategy": "azure_external_keys",
        "created_at_ms": 1,
        "created_by": "Olga",
        "wrapped_vault_key": "AQID",
        "azure": {
            "client_id": app_id(0),
            "tenant_id": TENANT,
            "vault_uri": "https://contoso-kms.vault.azure.net",
            "key_name": "company-kek",
            "kid": "https://contoso-kms.vault.azure.net/keys/company-kek/0123456789abcdef0123456789abcdef",
            "key_size_bits": 4096,
            "sealed_client_secret": "BAU=",
            "secret_updated_at_ms": 1
        },
        "key_status": {"state": "available", "checked_at_ms": 1}
    });
    let record: keyswitch_shared::vaults::model::VaultRecord =
        serde_json::from_value(legacy).unwrap();
    assert!(record.lacks_item_count());
    assert!(!record.clone().with_item_count(0).lacks_item_count());
    assert!(Workspace::restore(vec![record.clone()], None).is_err());
    let model = Workspace::restore(vec![record.with_item_count(2)], None).unwrap();
    assert_eq!(model.vaults()[0].item_count(), 2);
    assert_eq!(
        model
            .summary(model.vaults()[0].id())
            .unwrap()
            .azure
            .unwrap()
            .kid
            .version()
            .unwrap()
            .as_str(),
        "0123456789abcdef0123456789abcdef"
    );
}

// ---- the property test ----

#[derive(Debug, Clone)]
enum Action {
    CreateCloud {
        name: usize,
        default: bool,
    },
    CreateAzure {
        name: usize,
        default: bool,
        app: u8,
        key: usize,
        good: bool,
    },
    SetDefault(usize),
    Test(usize),
    ReplaceSecret {
        vault: usize,
        good: bool,
    },
    CreateItem(usize),
    ReadItem {
        vault: usize,
        item: usize,
    },
    Revoke(u8),
    Restore(u8),
    RotateSecret(u8),
    Advance {
        chain: usize,
        fault: Fault,
    },
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::None),
        1 => Just(Fault::Outage),
        1 => Just(Fault::Throttled),
        1 => Just(Fault::Internal),
        1 => Just(Fault::WrongUnwrap),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => (0..4usize, any::<bool>()).prop_map(|(name, default)| Action::CreateCloud { name, default }),
        3 => (0..4usize, any::<bool>(), 0..3u8, 0..4usize, prop::bool::weighted(0.8))
            .prop_map(|(name, default, app, key, good)| Action::CreateAzure { name, default, app, key, good }),
        1 => (0..8usize).prop_map(Action::SetDefault),
        1 => (0..8usize).prop_map(Action::Test),
        1 => (0..8usize, any::<bool>()).prop_map(|(vault, good)| Action::ReplaceSecret { vault, good }),
        2 => (0..8usize).prop_map(Action::CreateItem),
        2 => (0..8usize, 0..8usize).prop_map(|(vault, item)| Action::ReadItem { vault, item }),
        1 => (0..3u8).prop_map(Action::Revoke),
        1 => (0..3u8).prop_map(Action::Restore),
        1 => (0..3u8).prop_map(Action::RotateSecret),
        10 => (0..4usize, fault()).prop_map(|(chain, fault)| Action::Advance { chain, fault }),
    ]
}

impl Harness {
    /// A vault of the model by index, or (one in eight, or when there is
    /// none) a vault that does not exist.
    fn pick_vault(&self, i: usize) -> VaultId {
        let vaults = self.model.vaults();
        if vaults.is_empty() || i == 7 {
            VaultId::from_random([0xee; 16])
        } else {
            vaults[i % vaults.len()].id().clone()
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::CreateCloud { name, default } => {
                let e = self.create_form(NAMES[name], None, default);
                self.start(e);
            }
            Action::CreateAzure {
                name,
                default,
                app,
                key,
                good,
            } => {
                let e = self.create_form(NAMES[name], Some((app, KEYS[key], good)), default);
                self.start(e);
            }
            Action::SetDefault(v) => {
                let vault = self.pick_vault(v);
                self.start(Event::SetDefault {
                    actor: owner(),
                    vault,
                });
            }
            Action::Test(v) => {
                let vault = self.pick_vault(v);
                self.start(Event::Test {
                    actor: owner(),
                    vault,
                });
            }
            Action::ReplaceSecret { vault, good } => {
                let vault = self.pick_vault(vault);
                let client = match self.model.vault(&vault).map(|v| v.protection()) {
                    Ok(Protection::Azure(a)) => a.client_id().as_str().to_owned(),
                    _ => app_id(0),
                };
                let secret = match (good, self.apps.get(&client)) {
                    (true, Some(s)) => s.clone(),
                    _ => "not-the-secret".to_owned(),
                };
                self.start(Event::ReplaceSecret {
                    actor: owner(),
                    vault,
                    secret: ClientSecret::new(&secret).expect("a secret"),
                });
            }
            Action::CreateItem(v) => {
                let vault = self.pick_vault(v);
                let content = self.item_form().parse().expect("an item");
                self.start(Event::CreateItem {
                    actor: owner(),
                    vault,
                    content,
                });
            }
            Action::ReadItem { vault, item } => {
                let vault = self.pick_vault(vault);
                let items: Vec<ItemId> = self
                    .items
                    .keys()
                    .filter(|(v, _)| *v == vault)
                    .map(|(_, i)| i.clone())
                    .collect();
                let item = if items.is_empty() || item == 7 {
                    ItemId::from_random([0xdd; 16])
                } else {
                    items[item % items.len()].clone()
                };
                self.start(Event::ReadItem {
                    actor: owner(),
                    vault,
                    item,
                });
            }
            Action::Revoke(app) => {
                self.revoked.insert(app_id(app));
            }
            Action::Restore(app) => {
                self.revoked.remove(&app_id(app));
            }
            Action::RotateSecret(app) => {
                self.counter += 1;
                let secret = format!("rotated-{}", self.counter);
                self.secrets.insert(secret.clone());
                self.apps.insert(app_id(app), secret);
            }
            Action::Advance { chain, fault } => self.advance(chain, fault),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random requests, interleaved while outside calls are awaited, with
    /// outages, throttling, internal failures, wrong unwraps, revoked roles
    /// and rotated secrets. After every step (see `Harness::step` and
    /// `Harness::check`): at most one default vault (and one while there are
    /// vaults); one vault per provider and unique names; an Azure vault only
    /// after a passing wrap/unwrap proof, its wrapped key recorded with the
    /// kid that wrapped it; Key Vault called only with a token; item counts
    /// equal the items stored; every operation ends with one audit event and
    /// one answer, a failed one adding nothing; refusals change nothing; no
    /// secret in `Debug`; the stored shape restores the same model.
    #[test]
    fn every_step_keeps_the_invariants(actions in prop::collection::vec(action(), 1..60)) {
        let mut h = Harness::new();
        for a in actions {
            h.apply(a);
        }
        h.drain();
        // Every operation ended exactly once.
        prop_assert!(h.pending.is_empty());
        prop_assert_eq!(h.ends.len(), h.started);
    }
}

// ---- the health monitor (issue 14) ----

impl Harness {
    /// One alarm at `now_ms`: the due check to its end, every answer with
    /// `fault`; returns the audit events. A check answers nobody.
    fn tick_at(&mut self, now_ms: u64, fault: Fault) -> Vec<VaultAuditEvent> {
        let ctx = Ctx {
            workspace: "ws1".parse().expect("a workspace id"),
            now_ms,
            fresh: [7; 16],
            health_interval_ms: 300_000,
            notify: keyswitch_shared::notify::NotifyPolicy::default(),
        };
        let mut audits = Vec::new();
        let mut queue = vec![(Event::Tick, None)];
        while let Some((event, token)) = queue.pop() {
            let (next, effects) = update(&self.model, event, &ctx).expect("accepted");
            self.model = next;
            self.check();
            for e in effects {
                match e {
                    Effect::Audit(a) => audits.push(a),
                    Effect::Reply(r) => panic!("a check answers nobody: {r:?}"),
                    other => queue.push(self.perform(
                        Chain {
                            effect: other,
                            token: token.clone(),
                        },
                        fault,
                    )),
                }
            }
        }
        audits
    }

    fn health(&self) -> keyswitch_shared::vaults::VaultHealth {
        self.model.vaults()[0].health().clone()
    }
}

#[test]
fn the_monitor_checks_an_azure_vault_on_schedule_and_audits_each_change() {
    use keyswitch_shared::vaults::HealthState;
    let mut h = Harness::new();
    let form = h.create_form("Finance", Some((0, "company-kek", true)), true);
    assert!(matches!(h.run(form), End::Replied(..)));
    let created = h.health();
    assert_eq!(created.state, HealthState::Healthy);
    let first = created.next_check_ms;
    assert_eq!(h.model.next_deadline_ms(), Some(first));
    // Not due yet: nothing happens.
    assert!(h.tick_at(first - 1, Fault::None).is_empty());
    assert_eq!(h.health(), created);
    // Due, still fine: no audit, next check one interval later.
    assert!(h.tick_at(first, Fault::None).is_empty());
    assert_eq!(h.health().next_check_ms, first + 300_000);
    // The role is revoked: access_lost (role_removed), audited once.
    h.revoked.insert(app_id(0));
    let t = first + 300_000;
    let audits = h.tick_at(t, Fault::None);
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].action, AuditAction::VaultHealthChanged);
    assert_eq!(audits[0].outcome, Outcome::Failed);
    assert_eq!(audits[0].actor_role, Role::System);
    assert_eq!(
        audits[0].detail.as_deref(),
        Some("healthy -> access_lost (role_removed)")
    );
    assert_eq!(h.health().cause.as_deref(), Some("role_removed"));
    assert_eq!(
        h.model.vaults()[0].key_status().state,
        KeyState::Unreachable
    );
    // Still lost: no new audit.
    assert!(h.tick_at(t + 300_000, Fault::None).is_empty());
    // An outage says nothing about access: still access_lost, retried sooner.
    assert!(h.tick_at(t + 600_000, Fault::Outage).is_empty());
    assert_eq!(h.health().state, HealthState::AccessLost);
    assert!(h.health().next_check_ms < t + 900_000);
    // Access restored: seen by the next check, without anyone acting.
    h.revoked.clear();
    let next = h.health().next_check_ms;
    let audits = h.tick_at(next, Fault::None);
    assert_eq!(
        audits.iter().map(|a| a.detail.clone()).collect::<Vec<_>>(),
        vec![Some("access_lost -> healthy".to_owned())]
    );
    assert_eq!(audits[0].outcome, Outcome::Succeeded);
    assert_eq!(h.model.vaults()[0].key_status().state, KeyState::Available);
    // Throttled: degraded (audited), then healthy again.
    let next = h.health().next_check_ms;
    let audits = h.tick_at(next, Fault::Throttled);
    assert_eq!(
        audits[0].detail.as_deref(),
        Some("healthy -> degraded"),
        "{audits:?}"
    );
    // Throttling is not lost access: the key stays available in the table.
    assert_eq!(h.model.vaults()[0].key_status().state, KeyState::Available);
    let next = h.health().next_check_ms;
    assert_eq!(h.tick_at(next, Fault::None).len(), 1);
    assert_eq!(h.health().state, HealthState::Healthy);
    // The edge's own failure during a check says nothing about the key: no
    // change, no audit; checked again later.
    let next = h.health().next_check_ms;
    assert!(h.tick_at(next, Fault::Internal).is_empty());
    assert_eq!(h.health().state, HealthState::Healthy);
}

#[test]
fn a_failed_test_or_item_read_makes_the_check_due_at_once() {
    let mut h = Harness::new();
    let form = h.create_form("Finance", Some((0, "company-kek", true)), true);
    let End::Replied(reply, _) = h.run(form) else {
        panic!("created")
    };
    let Reply::Vault(summary) = *reply else {
        panic!("a vault")
    };
    let vault: VaultId = summary.id.parse().expect("a vault id");
    assert!(summary.health.is_some(), "an Azure vault shows its health");
    h.revoked.insert(app_id(0));
    let before = h.health().next_check_ms;
    h.run(Event::Test {
        actor: owner(),
        vault: vault.clone(),
    });
    let now = h.health().next_check_ms;
    assert!(now < before, "due at once: {now} < {before}");
    let audits = h.tick_at(now, Fault::None);
    assert_eq!(audits.len(), 1);
    // Access fixed: a passing test makes the check due at once too (the
    // recovery shows without waiting for the schedule) ...
    h.revoked.clear();
    let scheduled = h.health().next_check_ms;
    replied(h.run(Event::Test {
        actor: owner(),
        vault: vault.clone(),
    }));
    let due = h.health().next_check_ms;
    assert!(due < scheduled, "due at once: {due} < {scheduled}");
    h.tick_at(due, Fault::None);
    // ... while a passing test of a healthy vault leaves the schedule alone.
    let scheduled = h.health().next_check_ms;
    replied(h.run(Event::Test {
        actor: owner(),
        vault: vault.clone(),
    }));
    assert_eq!(h.health().next_check_ms, scheduled);
    // A platform vault has no monitor and no health in its row.
    let mut p = Harness::new();
    let End::Replied(reply, _) = p.run(p.create_form("Ops", None, true)) else {
        panic!("created")
    };
    let Reply::Vault(summary) = *reply else {
        panic!("a vault")
    };
    assert!(summary.health.is_none());
    assert_eq!(p.model.next_deadline_ms(), None);
    assert!(p.tick_at(u64::MAX / 2, Fault::None).is_empty());
}

#[test]
fn an_item_read_after_a_fix_makes_the_check_due_at_once() {
    let mut h = Harness::new();
    let form = h.create_form("Finance", Some((0, "company-kek", true)), true);
    let vault = vault_of(&replied(h.run(form)).0);
    let item = store_item(&mut h, &vault);
    let read = |h: &mut Harness| read_item(h, &vault, &item);
    // A healthy vault's read leaves the schedule alone.
    let scheduled = h.health().next_check_ms;
    replied(read(&mut h));
    assert_eq!(h.health().next_check_ms, scheduled);
    // Revoked, and the monitor has seen it ...
    h.revoked.insert(app_id(0));
    h.tick_at(scheduled, Fault::None);
    assert_ne!(
        h.health().state,
        keyswitch_shared::vaults::HealthState::Healthy
    );
    // ... fixed: the first read that reaches the key makes the check due.
    h.revoked.clear();
    let scheduled = h.health().next_check_ms;
    replied(read(&mut h));
    let due = h.health().next_check_ms;
    assert!(due < scheduled, "due at once: {due} < {scheduled}");
}

#[test]
fn a_health_change_is_sent_to_the_host_and_its_answer_logged() {
    use keyswitch_shared::notify::{Failure, NotifyPolicy};
    let mut h = Harness::new();
    let form = h.create_form("Finance", Some((0, "company-kek", true)), true);
    assert!(matches!(h.run(form), End::Replied(..)));
    h.revoked.insert(app_id(0));
    let at = h.health().next_check_ms;
    let ctx = Ctx {
        workspace: "ws1".parse().expect("a workspace id"),
        now_ms: at,
        fresh: [9; 16],
        health_interval_ms: 300_000,
        notify: NotifyPolicy {
            enabled: true,
            ..NotifyPolicy::default()
        },
    };
    // Run the check by hand, keeping the webhook send.
    let mut queue = vec![(Event::Tick, None)];
    let mut sends = Vec::new();
    while let Some((event, token)) = queue.pop() {
        let (next, effects) = update(&h.model, event, &ctx).expect("accepted");
        h.model = next;
        for e in effects {
            match e {
                Effect::Webhook(send) => sends.push(send),
                Effect::Audit(_) => {}
                other => queue.push(h.perform(
                    Chain {
                        effect: other,
                        token: token.clone(),
                    },
                    Fault::None,
                )),
            }
        }
    }
    assert_eq!(sends.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&sends[0].body).expect("json");
    assert_eq!(body["type"], "vault.health_changed");
    assert_eq!(body["workspace_id"], "ws1");
    assert_eq!(body["data"]["to"], "access_lost");
    assert_eq!(body["data"]["cause"], "role_removed");
    assert!(
        !sends[0].body.contains("app-secret"),
        "no secret in the body"
    );
    // Owed until answered: the alarm is needed for its resend.
    assert!(h.model.outbox().next_deadline_ms().is_some());
    // The host fails: logged, retried later by the alarm with the same id.
    let (next, effects) = update(
        &h.model,
        Event::WebhookAnswered {
            attempt: sends[0].attempt,
            result: Err(Failure::Status(503)),
        },
        &ctx,
    )
    .expect("accepted");
    h.model = next;
    let Some(Effect::Audit(a)) = effects.first() else {
        panic!("a delivery log line: {effects:?}")
    };
    assert_eq!(a.action, AuditAction::WebhookDelivery);
    assert_eq!(a.outcome, Outcome::Failed);
    let retry = h.model.next_deadline_ms().expect("a deadline");
    let mut later = ctx.clone();
    later.now_ms = retry.max(later.now_ms + 1);
    let (next, effects) = update(&h.model, Event::Tick, &later).expect("accepted");
    h.model = next;
    let resent: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Webhook(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(resent.len(), 1, "{effects:?}");
    assert_eq!(resent[0].id, sends[0].id, "the same idempotency id");
    assert_eq!(resent[0].body, sends[0].body, "the same body");
    // Delivered: logged, nothing owed; a second answer is refused.
    let (next, effects) = update(
        &h.model,
        Event::WebhookAnswered {
            attempt: resent[0].attempt,
            result: Ok(200),
        },
        &later,
    )
    .expect("accepted");
    h.model = next;
    assert!(matches!(effects.first(), Some(Effect::Audit(a)) if a.outcome == Outcome::Succeeded));
    assert!(h.model.outbox().pending.is_empty());
    assert!(
        update(
            &h.model,
            Event::WebhookAnswered {
                attempt: resent[0].attempt,
                result: Ok(200),
            },
            &later,
        )
        .is_err()
    );
}
