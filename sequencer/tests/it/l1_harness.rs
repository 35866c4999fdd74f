//! An L1 devnet for tests: anvil from the project's npm Foundry, the L1 contracts deployed by
//! `script/DeployL1.s.sol`, and `ol-genesis` run against it, so a test gets an L1 URL, the
//! contract addresses, and a `genesis.json` + `rollup.json` pair the node accepts.
//!
//! anvil runs Prague (what the contracts are compiled for), mines a block every second and has
//! two-slot epochs, so `safe` trails the head by 2 blocks and `finalized` by 4.

#![allow(dead_code)]

use crate::harness::{KEY0, TestNode, cast_ok, foundry, run, workspace};
use alloy_primitives::{Address, address};
use ol_protocol::RollupConfig;
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// The batcher: dev account 2 (the deployer is account 0).
pub const BATCHER: Address = address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
/// Private key of [`BATCHER`].
pub const BATCHER_KEY: &str = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
/// anvil's default chain id.
pub const L1_CHAIN_ID: u64 = 31_337;

/// A running anvil with the L1 contracts and the L2's genesis files; anvil is killed on drop.
pub struct L1Devnet {
    anvil: Child,
    /// L1 JSON-RPC URL.
    pub url: String,
    /// OpenToken (L1 OPEN).
    pub token: Address,
    /// AttestationVerifier.
    pub verifier: Address,
    /// SettlementInbox.
    pub inbox: Address,
    /// OpenPortal.
    pub portal: Address,
    /// The L2 `genesis.json` written by `ol-genesis`.
    pub genesis: PathBuf,
    /// The `rollup.json` written by `ol-genesis`.
    pub rollup: PathBuf,
    /// What the deploy script printed.
    pub deploy_output: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// Starts anvil on a free port and waits until it listens.
fn start_anvil() -> (Child, String) {
    let port = free_port();
    let mut child = Command::new(foundry("anvil"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--hardfork", "prague", "--block-time", "1", "--slots-in-an-epoch", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn anvil");
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut told = false;
        // Keep draining so anvil never blocks on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !told && line.contains("Listening on") {
                told = tx.send(()).is_ok();
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("anvil did not start listening within 30 s");
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// `<Name> <0xaddress>` lines of a forge script's console output.
fn printed_addresses(out: &str) -> BTreeMap<String, Address> {
    out.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (name, address) = (words.next()?, words.next()?);
            (words.next().is_none() && address.len() == 42)
                .then(|| address.parse().ok().map(|a| (name.to_string(), a)))
                .flatten()
        })
        .collect()
}

impl L1Devnet {
    /// anvil, the L1 contracts (batcher: [`BATCHER`]) and `ol-genesis` with its defaults.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`L1Devnet::start`], passing `genesis_args` on to `ol-genesis` (e.g.
    /// `["--confirmation-depth", "0"]`).
    pub fn start_with(genesis_args: &[&str]) -> Self {
        let (mut anvil, url) = start_anvil();
        let dir = tempfile::tempdir().expect("tempdir");
        match Self::deploy(&url, dir.path(), genesis_args) {
            Ok((deploy_output, addresses)) => {
                let get = |name: &str| match addresses.get(name) {
                    Some(address) => *address,
                    None => panic!("{name} not in the deploy output:\n{deploy_output}"),
                };
                Self {
                    url,
                    token: get("OpenToken"),
                    verifier: get("AttestationVerifier"),
                    inbox: get("SettlementInbox"),
                    portal: get("OpenPortal"),
                    genesis: dir.path().join("genesis.json"),
                    rollup: dir.path().join("rollup.json"),
                    deploy_output,
                    dir,
                    anvil,
                }
            }
            Err(message) => {
                let _ = anvil.kill();
                let _ = anvil.wait();
                panic!("{message}");
            }
        }
    }

    /// Deploys with the forge script and runs `ol-genesis` into `dir`.
    fn deploy(
        url: &str,
        dir: &Path,
        genesis_args: &[&str],
    ) -> Result<(String, BTreeMap<String, Address>), String> {
        let contracts = workspace().join("contracts");
        let (ok, out, err) = run(Command::new(foundry("forge"))
            .current_dir(&contracts)
            .env("FOUNDRY_SOLC", contracts.join("scripts/solc"))
            .env("FOUNDRY_OFFLINE", "true")
            // Broadcast records go to the test's directory, not the checkout's.
            .env("FOUNDRY_BROADCAST", dir.join("broadcast"))
            .env("DEVNET", "true")
            .env("BATCHER", BATCHER.to_string())
            .args(["script", "script/DeployL1.s.sol", "--rpc-url", url])
            .args(["--broadcast", "--private-key", KEY0]));
        if !ok {
            return Err(format!("DeployL1.s.sol failed:\n{out}\n{err}"));
        }
        let addresses = printed_addresses(&out);
        let deployment = dir.join("deploy.log");
        std::fs::write(&deployment, &out).map_err(|e| format!("writing deploy.log: {e}"))?;

        let (ok, gen_out, gen_err) = run(Command::new(env!("CARGO_BIN_EXE_ol-genesis"))
            .env("NO_COLOR", "1")
            .args(["--l1.rpc", url, "--deployment"])
            .arg(&deployment)
            .args(["--batcher", &BATCHER.to_string(), "--out"])
            .arg(dir)
            .args(genesis_args));
        if !ok {
            return Err(format!("ol-genesis failed:\n{gen_out}\n{gen_err}"));
        }
        Ok((out, addresses))
    }

    /// The parsed and validated `rollup.json`.
    pub fn rollup_config(&self) -> RollupConfig {
        let bytes = std::fs::read(&self.rollup).expect("read rollup.json");
        RollupConfig::from_json(&bytes).expect("rollup.json is valid")
    }

    /// The temporary directory holding the genesis files (and room for datadirs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `ol-node` arguments that sequence on this L1.
    pub fn node_args(&self) -> Vec<String> {
        vec![
            "--chain".into(),
            self.genesis.display().to_string(),
            "--l1.rpc".into(),
            self.url.clone(),
            "--rollup.config".into(),
            self.rollup.display().to_string(),
        ]
    }

    /// `cast` against the L1, stdout trimmed.
    pub fn cast(&self, args: &[&str]) -> String {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--rpc-url", &self.url]);
        cast_ok(&all)
    }
}

impl L1Devnet {
    /// Kills anvil: L1 goes away under whatever follows it.
    pub fn stop_anvil(&mut self) {
        let _ = self.anvil.kill();
        let _ = self.anvil.wait();
    }
}

impl Drop for L1Devnet {
    fn drop(&mut self) {
        let _ = self.anvil.kill();
        let _ = self.anvil.wait();
    }
}

#[test]
fn l1_devnet_deploys_and_writes_a_valid_rollup_config() {
    let l1 = L1Devnet::start();
    let rollup = l1.rollup_config();

    // The config names what was deployed, on this L1.
    assert_eq!(rollup.deposit_contract_address, l1.portal);
    assert_eq!(rollup.batch_inbox_address, l1.inbox);
    assert_eq!(rollup.l2_output_oracle_address, l1.inbox);
    assert_eq!(rollup.genesis.system_config.batcher_addr, BATCHER);
    assert_eq!((rollup.l1_chain_id, rollup.l2_chain_id), (L1_CHAIN_ID, 1612));
    assert_eq!(
        l1.cast(&["call", &l1.inbox.to_string(), "batcher()(address)"]),
        BATCHER.to_string()
    );

    // genesis.l1 is a real L1 block, and the L2 starts at its time.
    let number = rollup.genesis.l1.number.to_string();
    assert_eq!(l1.cast(&["block", &number, "-f", "hash"]), rollup.genesis.l1.hash.to_string());
    assert_eq!(l1.cast(&["block", &number, "-f", "timestamp"]), rollup.genesis.l2_time.to_string());
    assert_ne!(l1.cast(&["code", &l1.portal.to_string(), "--block", &number]), "0x");

    // safe and finalized advance behind the head.
    std::thread::sleep(Duration::from_secs(5));
    let at =
        |tag: &str| -> u64 { l1.cast(&["block", tag, "-f", "number"]).parse().expect("number") };
    let finalized = at("finalized");
    assert!(finalized > 0 && finalized < at("latest"), "finalized {finalized}");

    // The node builds exactly the genesis block rollup.json names.
    let datadir = l1.dir().join("node");
    let genesis = l1.genesis.display().to_string();
    let node = TestNode::start_with(&datadir, &["--chain", &genesis]);
    let block0 = |field: &str| cast_ok(&["block", "0", "-f", field, "--rpc-url", &node.url]);
    assert_eq!(block0("hash"), rollup.genesis.l2.hash.to_string());
    assert_eq!(block0("timestamp"), rollup.genesis.l2_time.to_string());
    assert_eq!(cast_ok(&["chain-id", "--rpc-url", &node.url]), "1612");
}
