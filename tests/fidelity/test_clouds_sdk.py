"""Issue 16: Microsoft's SDK as the judge of a Managed HSM host, a China and a
US Government vault (azure-identity at that cloud's authority,
azure-keyvault-keys), the firewall 403 and KeyOperationForbidden, each
checked through the SDK's own exception types and fields.

The vault under test answers at https://localhost:PORT (a Host alias, moved
to it by the `vault_at_localhost` fixture); the SDK learns everything else
(tenant, resource, authority) from the simulator's answers.
"""

import os
import uuid

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys._shared import http_challenge_cache
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

HTTPS = os.environ["SIM_HTTPS"]
CA = os.environ["SIM_CA"]
HOST = HTTPS.split("://", 1)[1]
# Default seed (tests/sim/src/seed.rs).
CONTOSO = "72f988bf-0000-4c3a-9d6e-c0ffee000001"
CONTOSO_CHINA = "5e1c7a90-0000-4c3a-9d6e-c0ffee0000c1"
CONTOSO_USGOV = "9d2b4f60-0000-4c3a-9d6e-c0ffee0000d1"
APP_ID = "0c9d8e7f-1111-4a2b-8c3d-00000000c001"
APP_SECRET = "contoso-app-secret-001"


def control(method, path, body=None):
    r = requests.request(method, f"{HTTPS}/_control{path}", json=body, verify=CA, timeout=60)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture
def vault_at_localhost():
    """Points https://localhost:PORT at the named vault for one test, then
    back at contoso-kms (the other fidelity tests' vault)."""

    def point(name):
        control("POST", f"/vaults/{name}/aliases", {"host": HOST})
        # The SDK remembers each host's challenge (tenant, resource); here
        # one host stands for several vaults, so forget it as a new host would.
        http_challenge_cache.clear()

    yield point
    point("contoso-kms")


def app_in(tenant, role, vault, key=None):
    """A new app registration in `tenant` with `role` on `vault` (or on its
    key): its client id and secret."""
    secret = "fid-" + uuid.uuid4().hex
    app = control("POST", "/apps", {"tenant": tenant, "name": "Fidelity " + secret[:8], "value": secret})
    client_id = app["app"]["client_id"]
    body = {"principal": f"app:{client_id}", "role": role}
    if key:
        body["key"] = key
    control("POST", f"/vaults/{vault}/role-assignments", body)
    return client_id, secret


def credential(tenant, client_id, secret, authority):
    return ClientSecretCredential(
        tenant,
        client_id,
        secret,
        authority=f"{HTTPS}/{authority}",
        disable_instance_discovery=True,
        connection_verify=CA,
    )


def key_client(cred):
    return KeyClient(HTTPS, cred, verify_challenge_resource=False, connection_verify=CA)


def token_requests():
    return [
        r["path"]
        for r in control("GET", "/requests?service=entra")["requests"]
        if r["path"].endswith("/oauth2/v2.0/token")
    ]


def round_trip(cred, key):
    crypto = CryptographyClient(key, cred, verify_challenge_resource=False, connection_verify=CA)
    secret = os.urandom(32)
    wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, secret)
    assert crypto.unwrap_key(wrapped.algorithm, wrapped.encrypted_key).key == secret


@pytest.mark.parametrize(
    "vault,tenant,authority",
    [
        ("contoso-cn", CONTOSO_CHINA, "entra-china"),
        ("contoso-gov", CONTOSO_USGOV, "entra-usgov"),
    ],
)
def test_sovereign_vault_with_its_clouds_authority(vault_at_localhost, vault, tenant, authority):
    vault_at_localhost(vault)
    client_id, secret = app_in(tenant, "Key Vault Crypto User", vault)
    cred = credential(tenant, client_id, secret, authority)
    control("DELETE", "/requests")
    key = key_client(cred).get_key("company-kek")
    assert key.key_type == "RSA" and key.name == "company-kek"
    # The SDK took the cloud's resource from the challenge and asked that
    # cloud's authority for it.
    assert token_requests() == [f"/{authority}/{tenant}/oauth2/v2.0/token"]
    round_trip(cred, key)


def test_a_public_cloud_credential_cannot_reach_a_china_vault(vault_at_localhost):
    vault_at_localhost("contoso-cn")
    # The public authority does not know the China tenant (its discovery
    # answers 400 AADSTS90002): the SDK raises its authentication error.
    control("DELETE", "/requests")
    cred = credential(CONTOSO_CHINA, APP_ID, APP_SECRET, "entra")
    with pytest.raises(ClientAuthenticationError) as err:
        key_client(cred).get_key("company-kek")
    assert "Unable to get authority configuration" in str(err.value)
    discovery = [
        r
        for r in control("GET", "/requests?service=entra")["requests"]
        if r["path"] == f"/entra/{CONTOSO_CHINA}/v2.0/.well-known/openid-configuration"
    ]
    assert discovery and all(r["status"] == 400 for r in discovery), discovery
    http_challenge_cache.clear()
    # A public tenant's credential: the SDK itself refuses the challenge's
    # (China) tenant before asking any authority.
    cred = credential(CONTOSO, APP_ID, APP_SECRET, "entra")
    with pytest.raises(ClientAuthenticationError) as err:
        key_client(cred).get_key("company-kek")
    assert CONTOSO_CHINA in str(err.value)


def test_managed_hsm_with_local_rbac(vault_at_localhost):
    vault_at_localhost("contoso-hsm")
    # Azure RBAC's Key Vault role does not reach the HSM's keys.
    client_id, secret = app_in("Contoso", "Key Vault Crypto User", "contoso-hsm")
    cred = credential(CONTOSO, client_id, secret, "entra")
    control("DELETE", "/requests")
    with pytest.raises(HttpResponseError) as err:
        key_client(cred).get_key("hsm-kek")
    assert err.value.status_code == 403
    assert err.value.error.code == "Forbidden"
    assert err.value.error.innererror.get("code") == "ForbiddenByRbac"
    # The SDK met the HSM's empty-bodied challenge first and took its tenant
    # and resource from it (the token request went to Contoso's authority).
    log = control("GET", "/requests")["requests"]
    assert [r["status"] for r in log if r["service"] == "keyvault"][:1] == [401], log
    assert f"/entra/{CONTOSO}/oauth2/v2.0/token" in [r["path"] for r in log], log
    # Its local RBAC role on the key does reach the key.
    client_id, secret = app_in("Contoso", "Managed HSM Crypto User", "contoso-hsm", key="hsm-kek")
    cred = credential(CONTOSO, client_id, secret, "entra")
    key = key_client(cred).get_key("hsm-kek")
    assert key.key_type == "RSA-HSM"
    assert key.properties.recovery_level == "Recoverable+Purgeable"
    assert key.properties.recoverable_days == 90
    round_trip(cred, key)


@pytest.mark.parametrize(
    "variant,start",
    [
        ("client_address", "Client address is not authorized and caller is not a trusted service."),
        ("public_network_disabled", "Public network access is disabled"),
        ("perimeter", "Request was not allowed by NSP rules"),
    ],
)
def test_firewall_is_an_http_response_error_with_forbidden_by_firewall(variant, start):
    control("PUT", "/vaults/contoso-kms/firewall", {"enabled": True, "variant": variant})
    try:
        cred = credential(CONTOSO, APP_ID, APP_SECRET, "entra")
        with pytest.raises(HttpResponseError) as err:
            key_client(cred).get_key("company-kek")
    finally:
        control("PUT", "/vaults/contoso-kms/firewall", {"enabled": False})
    e = err.value
    assert e.status_code == 403
    assert e.error.code == "Forbidden"
    assert e.error.message.startswith(start)
    assert e.error.innererror == {"code": "ForbiddenByFirewall"}


def test_key_operation_forbidden_is_an_http_response_error():
    cred = credential(CONTOSO, APP_ID, APP_SECRET, "entra")
    client = key_client(cred)
    key = client.get_key("small-key")
    control("PATCH", "/vaults/contoso-kms/keys/small-key", {"key_ops": ["encrypt", "decrypt", "wrapKey"]})
    try:
        crypto = CryptographyClient(key, cred, verify_challenge_resource=False, connection_verify=CA)
        wrapped = crypto.wrap_key(KeyWrapAlgorithm.rsa_oaep_256, b"k" * 32)
        with pytest.raises(HttpResponseError) as err:
            crypto.unwrap_key(wrapped.algorithm, wrapped.encrypted_key)
    finally:
        control(
            "PATCH",
            "/vaults/contoso-kms/keys/small-key",
            {"key_ops": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]},
        )
    e = err.value
    assert e.status_code == 403
    assert e.error.code == "Forbidden"
    assert e.error.message == "Operation unwrapKey is not permitted on this key."
    assert e.error.innererror == {"code": "KeyOperationForbidden"}
