// SPDX-License-Identifier: GPL-3.0-or-later
//! Test helpers: a throw-away CV certificate PKI made with OpenPACE's
//! `cvc-create` and keys from `openssl genpkey` (Debian packages `openpace`
//! and `openssl`).
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (install Debian packages openpace and openssl): {e}"));
    assert!(output.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn new_key(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.der"));
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:brainpoolP256r1",
            "-outform",
            "DER",
            "-out",
            path.to_str().unwrap(),
        ],
    );
    path
}

pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs cvc-create and returns the certificate path.
    pub fn create(&self, name: &str, args: &[&str]) -> PathBuf {
        let out = self.path(&format!("{name}.cvcert"));
        let out_arg = format!("--out-cert={}", out.display());
        let mut all = vec!["--scheme=ECDSA_SHA_256", "--issued=260105", out_arg.as_str()];
        all.extend_from_slice(args);
        run("cvc-create", &all);
        out
    }

    pub fn cvca(&self, name: &str, chr: &str, key: &Path) -> PathBuf {
        let sign = format!("--sign-with={}", key.display());
        let chr = format!("--chr={chr}");
        self.create(
            name,
            &[
                "--role=cvca",
                "--type=at",
                &chr,
                "--expires=301231",
                &sign,
                "--read-dg1",
                "--read-dg2",
                "--read-dg3",
                "--read-dg4",
                "--read-dg5",
                "--read-dg8",
                "--read-dg17",
            ],
        )
    }

    pub fn issue(&self, spec: Issue<'_>) -> PathBuf {
        let role = format!("--role={}", spec.role);
        let chr = format!("--chr={}", spec.chr);
        let sign_as = format!("--sign-as={}", spec.signer_cert.display());
        let sign_with = format!("--sign-with={}", spec.signer_key.display());
        let key = format!("--key={}", spec.key.display());
        let expires = format!("--expires={}", spec.expires);
        let mut args = vec![role.as_str(), &chr, &sign_as, &sign_with, &key, &expires];
        args.extend_from_slice(spec.rights);
        self.create(spec.name, &args)
    }
}

/// Arguments of one `cvc-create` run for a DV or terminal certificate.
pub struct Issue<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub chr: &'a str,
    pub signer_cert: &'a Path,
    pub signer_key: &'a Path,
    pub key: &'a Path,
    pub expires: &'a str,
    pub rights: &'a [&'a str],
}

pub struct Chain {
    pub pki: Pki,
    pub cvca: PathBuf,
    pub dv: PathBuf,
    pub terminal: PathBuf,
}

pub fn standard_chain() -> Chain {
    let pki = Pki::new();
    let cvca_key = new_key(pki.dir.path(), "cvca");
    let dv_key = new_key(pki.dir.path(), "dv");
    let terminal_key = new_key(pki.dir.path(), "terminal");
    let cvca = pki.cvca("cvca", "DETESTCVCA00001", &cvca_key);
    let dv = pki.issue(Issue {
        name: "dv",
        role: "dv_domestic",
        chr: "DETESTDVKOM0001",
        signer_cert: &cvca,
        signer_key: &cvca_key,
        key: &dv_key,
        expires: "291231",
        rights: &["--read-dg1", "--read-dg4", "--read-dg5", "--read-dg8", "--read-dg17"],
    });
    let terminal = pki.issue(Issue {
        name: "terminal",
        role: "terminal",
        chr: "DEKIOSKMS000001",
        signer_cert: &dv,
        signer_key: &dv_key,
        key: &terminal_key,
        expires: "270630",
        rights: &["--read-dg4", "--read-dg5", "--read-dg17", "--read-dg2"],
    });
    Chain { pki, cvca, dv, terminal }
}

/// Parses a certificate file.
pub fn parse(path: &Path) -> eid::cvc::Cvc {
    eid::cvc::Cvc::parse(&std::fs::read(path).unwrap()).unwrap()
}
