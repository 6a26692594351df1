//! Runs the commands the guidance offers, as an admin would paste them:
//! `bash -n` for their syntax, then `bash` itself with stand-ins for the
//! Azure CLI and Terraform on `PATH` that record the arguments they were
//! given (after the shell's own quoting and expansion) and answer the
//! look-ups the commands make (the vault's resource id and resource group,
//! the service principal's object id). Terraform files are parsed with
//! python-hcl2 (the test virtualenv's, pinned in tests/requirements.txt).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// What the stand-ins answer.
#[derive(Debug, Clone)]
pub struct Azure {
    /// The vault (or HSM) `az keyvault show` finds; any other name is
    /// "not found" (exit 3), as the real CLI answers.
    pub vault_name: String,
    /// Its resource id.
    pub vault_id: String,
    /// Its resource group.
    pub resource_group: String,
    /// The object id `az ad sp show` answers.
    pub sp_object_id: String,
}

/// The subscription the stand-in Azure CLI finds vaults in.
pub const SUBSCRIPTION: &str = "8d3f2a61-4c1e-4b7a-9e0d-5f6a7b8c9d01";
/// The service principal object id `az ad sp show` answers.
pub const SP_OBJECT_ID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

impl Azure {
    /// The stand-ins for a vault named `vault_name` of ARM type `provider`
    /// (`Microsoft.KeyVault/vaults` or `Microsoft.KeyVault/managedHSMs`)
    /// in [`SUBSCRIPTION`]'s resource group `rg-kms`.
    #[must_use]
    pub fn finding(vault_name: &str, provider: &str) -> Self {
        Self {
            vault_name: vault_name.to_owned(),
            vault_id: format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-kms/providers/{provider}/{vault_name}"
            ),
            resource_group: "rg-kms".to_owned(),
            sp_object_id: SP_OBJECT_ID.to_owned(),
        }
    }
}

/// Runs the Azure CLI tab of `commands` (its shell block) against
/// `azure`; it must succeed. The stand-ins' calls.
#[must_use]
pub fn run_cli(commands: &Value, azure: &Azure) -> Vec<Call> {
    let ran = run_shell(block(tab(commands, "azure_cli"), "shell"), azure);
    assert!(ran.ok, "{}", ran.stderr);
    ran.calls
}

/// Runs one line (a catalog `fix`'s command) against `azure`; it must
/// succeed. The stand-ins' calls.
#[must_use]
pub fn run_line(line: &str, azure: &Azure) -> Vec<Call> {
    let ran = run_shell(&format!("{line}\n"), azure);
    assert!(ran.ok, "{line}: {}", ran.stderr);
    ran.calls
}

/// What assigning Key Vault Crypto User to `assignee` on the vault that
/// `azure` finds calls: the resource id's look-up, then the assignment on
/// exactly that scope.
#[must_use]
pub fn key_vault_role_calls(azure: &Azure, assignee: &str) -> Vec<Call> {
    vec![
        call(&[
            "az",
            "keyvault",
            "show",
            "--name",
            &azure.vault_name,
            "--query",
            "id",
            "-o",
            "tsv",
        ]),
        call(&[
            "az",
            "role",
            "assignment",
            "create",
            "--assignee",
            assignee,
            "--role",
            "Key Vault Crypto User",
            "--scope",
            &azure.vault_id,
        ]),
    ]
}

/// What setting the `keyswitch-company` tag of `key` to `value` in the Key
/// Vault `vault` calls.
#[must_use]
pub fn tag_call(vault: &str, key: &str, value: &str) -> Call {
    call(&[
        "az",
        "keyvault",
        "key",
        "set-attributes",
        "--vault-name",
        vault,
        "--name",
        key,
        "--tags",
        &format!("keyswitch-company={value}"),
    ])
}

/// The Azure CLI line of a catalog error's `fix`: the text between
/// `before` and `after` (both must be there).
#[must_use]
pub fn fix_line<'a>(fix: &'a str, before: &str, after: &str) -> &'a str {
    fix.split_once(before)
        .and_then(|(_, rest)| rest.rsplit_once(after))
        .map(|(line, _)| line)
        .unwrap_or_else(|| panic!("no command between {before:?} and {after:?} in {fix}"))
}

/// One call of a stand-in: the program and its arguments.
pub type Call = Vec<String>;

/// How a block ran.
#[derive(Debug)]
pub struct Ran {
    /// Whether bash exited with 0.
    pub ok: bool,
    /// The stand-ins' calls, in order.
    pub calls: Vec<Call>,
    /// bash's standard error.
    pub stderr: String,
}

const AZ: &str = r#"#!/usr/bin/env bash
# Stands in for the Azure CLI: records its arguments, answers the look-ups.
{ printf 'az'; printf '\x1f%s' "$@"; printf '\n'; } >> "$STUB_LOG"
args=" $* "
case "$args" in
  *" keyvault show "*)
    name=""; prev=""
    for a in "$@"; do case "$prev" in --name|--hsm-name) name="$a";; esac; prev="$a"; done
    if [ "$name" != "$STUB_VAULT_NAME" ]; then
      echo "ERROR: (ResourceNotFound) The Resource '$name' was not found." >&2
      exit 3
    fi
    case "$args" in
      *" resourceGroup "*) echo "$STUB_RG" ;;
      *) echo "$STUB_VAULT_ID" ;;
    esac ;;
  *" ad sp show "*) echo "$STUB_SP_OID" ;;
esac
exit 0
"#;

const TERRAFORM: &str = r#"#!/usr/bin/env bash
# Stands in for Terraform: records its arguments and the subscription.
{ printf 'terraform'; printf '\x1f%s' "$@"; printf '\x1fARM_SUBSCRIPTION_ID=%s' "${ARM_SUBSCRIPTION_ID:-}"; printf '\n'; } >> "$STUB_LOG"
exit 0
"#;

/// The repository's root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keyswitch-commands-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).expect("a stand-in");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(path)
        .status()
        .expect("chmod");
    assert!(status.success());
}

/// Whether `text` is valid bash (`bash -n`); the error otherwise.
pub fn bash_syntax(text: &str) -> Result<(), String> {
    let out = Command::new("bash")
        .args(["-n", "-c", text])
        .output()
        .expect("bash");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Runs `text` in bash (non-interactive, in a scratch directory) with the
/// stand-ins answering as `azure` says.
pub fn run_shell(text: &str, azure: &Azure) -> Ran {
    let dir = scratch();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    write_executable(&bin.join("az"), AZ);
    write_executable(&bin.join("terraform"), TERRAFORM);
    let log = dir.join("calls.log");
    std::fs::write(&log, "").expect("log");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-c", text])
        .current_dir(&dir)
        .env("PATH", path)
        .env("STUB_LOG", &log)
        .env("STUB_VAULT_NAME", &azure.vault_name)
        .env("STUB_VAULT_ID", &azure.vault_id)
        .env("STUB_RG", &azure.resource_group)
        .env("STUB_SP_OID", &azure.sp_object_id)
        .env_remove("ARM_SUBSCRIPTION_ID")
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let calls = std::fs::read_to_string(&log)
        .expect("the calls")
        .lines()
        .map(|l| l.split('\x1f').map(str::to_owned).collect())
        .collect();
    let _removed = std::fs::remove_dir_all(&dir);
    Ran {
        ok: out.status.success(),
        calls,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A call as words, for comparisons.
#[must_use]
pub fn call(words: &[&str]) -> Call {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// Parses Terraform with python-hcl2 into JSON (quoting removed); panics
/// with the parser's message when it does not parse.
#[must_use]
pub fn hcl(text: &str) -> Value {
    let python = repo_root().join(".venv/bin/python");
    let script = repo_root().join("tests/integration/tools/hcl_to_json.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{} (run scripts/setup): {e}", python.display()));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "the Terraform does not parse: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The block `kind` (`data`, `resource`) of `type_` named `name` in parsed
/// Terraform.
#[must_use]
pub fn hcl_block<'a>(tf: &'a Value, kind: &str, type_: &str, name: &str) -> &'a Value {
    tf[kind]
        .as_array()
        .and_then(|blocks| {
            blocks
                .iter()
                .map(|b| &b[type_][name])
                .find(|b| !b.is_null())
        })
        .unwrap_or_else(|| panic!("no {kind} {type_}.{name} in {tf}"))
}

/// The tab of `tool` (`azure_cli`, `azure_powershell`, `terraform`,
/// `bicep`) in a guidance's `commands`.
#[must_use]
pub fn tab<'a>(commands: &'a Value, tool: &str) -> &'a Value {
    commands
        .as_array()
        .and_then(|t| t.iter().find(|t| t["tool"] == tool))
        .unwrap_or_else(|| panic!("no {tool} tab in {commands}"))
}

/// The text of the tab's block in `lang` (`shell`, `powershell`, `hcl`,
/// `bicep`).
#[must_use]
pub fn block<'a>(tab: &'a Value, lang: &str) -> &'a str {
    tab["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["lang"] == lang))
        .and_then(|b| b["text"].as_str())
        .unwrap_or_else(|| panic!("no {lang} block in {tab}"))
}

/// Checks every block of every tab: no `<placeholder>` and no `…`; shell
/// passes `bash -n`; Terraform parses. Returns how many blocks it checked.
pub fn check_all(commands: &Value) -> usize {
    let mut checked = 0;
    for t in commands.as_array().expect("tabs") {
        let blocks = t["blocks"].as_array().expect("blocks");
        assert!(
            !blocks.is_empty() || t["note"].is_string(),
            "a tab with neither blocks nor a note: {t}"
        );
        for b in blocks {
            let text = b["text"].as_str().expect("text");
            assert!(!has_placeholder(text), "a placeholder in {text}");
            assert!(!text.contains('…'), "an ellipsis in {text}");
            match b["lang"].as_str() {
                Some("shell") => {
                    if let Err(e) = bash_syntax(text) {
                        panic!("bash -n: {e}\n{text}");
                    }
                }
                Some("hcl") => {
                    let _parsed = hcl(text);
                }
                _ => {}
            }
            checked += 1;
        }
    }
    checked
}

/// `<word>`-style placeholders (`<subscription-id>`, `<resource group>`).
#[must_use]
pub fn has_placeholder(text: &str) -> bool {
    text.split('<').skip(1).any(|rest| {
        rest.split_once('>').is_some_and(|(inside, _)| {
            !inside.is_empty()
                && inside
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
        })
    })
}
