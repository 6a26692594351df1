"""Microsoft's SDK against keyswitch-sim: the simulator must look like Azure to it."""

import os
import uuid

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

HTTPS = os.environ["SIM_HTTPS"]
CA = os.environ["SIM_CA"]
# Default seed (tests/sim/src/seed.rs).
CONTOSO = "72f988bf-0000-4c3a-9d6e-c0ffee000001"
APP_ID = "0c9d8e7f-1111-4a2b-8c3d-00000000c001"
APP_SECRET = "contoso-app-secret-001"


def control(method, path, body=None):
    r = requests.request(method, f"{HTTPS}/_control{path}", json=body, verify=CA, timeout=60)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture(scope="session", autouse=True)
def vault_alias():
    control("POST", "/reset", {"seed": "default"})
    # The vault answers at https://localhost:PORT (a Host alias of contoso-kms).
    control("POST", "/vaults/contoso-kms/aliases", {"host": HTTPS.split("://", 1)[1]})
    yield


def credential(client_id=APP_ID, secret=APP_SECRET):
    return ClientSecretCredential(
        CONTOSO,
        client_id,
        secret,
        authority=f"{HTTPS}/entra",
        disable_instance_discovery=True,
        connection_verify=CA,
    )


def key_client(cred=None):
    return KeyClient(
        HTTPS,
        cred or credential(),
        verify_challenge_resource=False,
        connection_verify=CA,
    )


def calls(service="keyvault"):
    return control("GET", f"/requests?service={service}")["requests"]


def test_get_key_returns_rsa_4096_jwk():
    key = key_client().get_key("company-kek")
    assert key.name == "company-kek"
    assert key.key_type == "RSA"
    assert key.id.startswith(f"{HTTPS}/keys/company-kek/")
    assert len(key.properties.version) == 32
    assert len(key.key.n) == 512
    assert key.key.e == b"\x01\x00\x01"
    assert "wrapKey" in key.key_operations and "unwrapKey" in key.key_operations
    assert key.properties.enabled is True


@pytest.mark.parametrize("alg", [KeyWrapAlgorithm.rsa_oaep_256, KeyWrapAlgorithm.rsa_oaep])
def test_wrap_locally_unwrap_remotely(alg):
    cred = credential()
    key = key_client(cred).get_key("company-kek")
    crypto = CryptographyClient(key, cred, verify_challenge_resource=False, connection_verify=CA)
    secret = os.urandom(32)
    control("DELETE", "/requests")
    wrapped = crypto.wrap_key(alg, secret)
    assert wrapped.key_id == key.id
    unwrapped = crypto.unwrap_key(wrapped.algorithm, wrapped.encrypted_key)
    assert unwrapped.key == secret
    paths = [c["path"] for c in calls()]
    # The SDK wrapped with our JWK locally and only called unwrapkey remotely.
    assert not any(p.endswith("/wrapkey") for p in paths), paths
    assert any(p.endswith("/unwrapkey") for p in paths), paths


def test_missing_key_is_resource_not_found():
    with pytest.raises(ResourceNotFoundError) as err:
        key_client().get_key("does-not-exist")
    assert err.value.status_code == 404
    assert err.value.error.code == "KeyNotFound"


def test_secret_name_is_not_a_key():
    with pytest.raises(ResourceNotFoundError):
        key_client().get_key("db-password")


def test_missing_role_is_forbidden():
    secret = "no-role-" + uuid.uuid4().hex
    app = control("POST", "/apps", {"tenant": "Contoso", "name": "No Role App", "value": secret})
    cred = credential(app["app"]["client_id"], secret)
    with pytest.raises(HttpResponseError) as err:
        key_client(cred).get_key("company-kek")
    assert err.value.status_code == 403
    assert err.value.error.code == "Forbidden"
    assert "DeniedWithNoValidRBAC" in err.value.error.message


def test_wrong_secret_fails_authentication():
    from azure.core.exceptions import ClientAuthenticationError

    with pytest.raises(ClientAuthenticationError) as err:
        key_client(credential(secret="wrong")).get_key("company-kek")
    assert "AADSTS7000215" in str(err.value)


def test_rotated_key_old_version_still_unwraps():
    cred = credential()
    client = key_client(cred)
    old = client.get_key("small-key")
    crypto = CryptographyClient(old, cred, verify_challenge_resource=False, connection_verify=CA)
    wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"k" * 32)
    control("POST", "/vaults/contoso-kms/keys/small-key/rotate")
    new = client.get_key("small-key")
    assert new.properties.version != old.properties.version
    assert crypto.unwrap_key(wrapped.algorithm, wrapped.encrypted_key).key == b"k" * 32


def test_update_key_properties_sets_the_version_tags():
    # The key binding tag (keyswitch-company) as an Azure admin sets it with the SDK.
    client = key_client()
    key = client.get_key("company-kek")
    version = key.properties.version
    updated = client.update_key_properties(
        "company-kek", version, tags={"keyswitch-company": "acme globex"}
    )
    assert updated.properties.tags == {"keyswitch-company": "acme globex"}
    assert updated.properties.version == version
    again = client.get_key("company-kek", version)
    assert again.properties.tags == {"keyswitch-company": "acme globex"}
    cleared = client.update_key_properties("company-kek", version, tags={})
    assert not cleared.properties.tags
    assert not client.get_key("company-kek").properties.tags


def test_rotation_policy_round_trips_with_the_sdk_and_rotates_on_schedule():
    # Setting a policy is a Crypto Officer's job: a new app with that role.
    from azure.keyvault.keys import (
        KeyRotationLifetimeAction,
        KeyRotationPolicy,
        KeyRotationPolicyAction,
    )

    secret = "rot-" + uuid.uuid4().hex
    app = control("POST", "/apps", {"tenant": "Contoso", "name": "Rotation Officer", "value": secret})
    client_id = app["app"]["client_id"]
    control(
        "POST",
        "/vaults/contoso-kms/role-assignments",
        {"principal": f"app:{client_id}", "role": "Key Vault Crypto Officer"},
    )
    client = key_client(credential(client_id, secret))
    # A key without a policy answers Key Vault's default.
    default = client.get_key_rotation_policy("small-key")
    assert [(getattr(a.action, "value", a.action).lower(), a.time_before_expiry) for a in default.lifetime_actions] == [
        ("notify", "P30D")
    ]
    policy = client.update_key_rotation_policy(
        "small-key",
        KeyRotationPolicy(),
        lifetime_actions=[
            KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D"),
            KeyRotationLifetimeAction(KeyRotationPolicyAction.notify, time_before_expiry="P30D"),
        ],
        expires_in="P1Y",
    )
    assert policy.id.endswith("/keys/small-key/rotationpolicy")
    assert policy.expires_in == "P1Y"
    assert policy.created_on is not None and policy.updated_on is not None
    got = client.get_key_rotation_policy("small-key")
    def action(a):
        return getattr(a.action, "value", a.action).lower()

    assert sorted((action(a), a.time_after_create, a.time_before_expiry) for a in got.lifetime_actions) == sorted(
        [("rotate", "P90D", None), ("notify", None, "P30D")]
    )
    # Key Vault's checks: under 7 days is refused.
    with pytest.raises(HttpResponseError) as err:
        client.update_key_rotation_policy(
            "small-key",
            KeyRotationPolicy(),
            lifetime_actions=[KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P1D")],
        )
    assert err.value.status_code == 400
    # The schedule runs when the test says it is 91 days later.
    before = client.get_key("small-key").properties.version
    at = int(__import__("time").time()) + 91 * 86400
    ran = control("POST", "/rotation-policies/run", {"at": at})
    assert any("/keys/small-key/" in k for k in ran["rotated"]), ran
    after = client.get_key("small-key")
    assert after.properties.version != before
    assert int(after.properties.expires_on.timestamp()) == at + 365 * 86400
