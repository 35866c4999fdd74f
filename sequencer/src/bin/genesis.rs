//! `ol-genesis`: writes the L2 `genesis.json` and the `rollup.json` of a chain whose L1
//! contracts were deployed by `forge script script/DeployL1.s.sol`.
//!
//! ```text
//! ol-genesis --l1.rpc http://127.0.0.1:8545 --deployment deploy.log --out devnet/
//! ```
//!
//! It reads one L1 block (the head, or `--l1.block N`): its number and hash become the rollup's
//! `genesis.l1`, its timestamp the L2 genesis time. At that block the portal must have code; the
//! inbox defaults to the portal's `inbox()` and the batcher to the inbox's `batcher()`, and
//! addresses given on the command line must agree with them. The L2 genesis funds the ten
//! test-mnemonic accounts with 10,000 OPEN each (as `ol-node --dev` does) and holds every
//! predeploy, so the file alone fixes the genesis block; `genesis.l2.hash` is the hash of the
//! block `GenesisSpec::from_file` builds from the file just written, i.e. what `ol-node --chain`
//! will build.
//!
//! Devnet defaults (each has a flag): L2 chain id 1612, 1 s L2 blocks, a sequencing window of
//! 100 L1 blocks, channels time out after 50 L1 blocks, the sequencer may run 600 s ahead of its
//! L1 origin and adopts L1 blocks 2 behind the head, 30M gas blocks, and the L1 fee scalars of
//! dev mode (base fee 5,227, blob base fee 1,014,213).

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use clap::Parser;
use eyre::{WrapErr, bail, eyre};
use ol_protocol::{
    RollupConfig,
    contracts::{OpenPortal, SettlementInbox},
    rollup::{BlockId as RollupBlockId, RollupGenesis, SystemConfig},
};
use ol_sequencer::genesis::GenesisSpec;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
};
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

/// Writes `genesis.json` and `rollup.json` for an L2 on an L1 where DeployL1.s.sol has run.
#[derive(Debug, Parser)]
#[command(name = "ol-genesis", version)]
struct Args {
    /// L1 JSON-RPC endpoint.
    #[arg(long = "l1.rpc", env = "OL_L1_RPC", value_name = "URL")]
    l1_rpc: String,
    /// L1 block the chain starts from (its first epoch). Default: the L1 head.
    #[arg(long = "l1.block", value_name = "N")]
    l1_block: Option<u64>,
    /// L1 chain id; checked against the endpoint's. Default: the endpoint's.
    #[arg(long = "l1.chain-id", value_name = "ID")]
    l1_chain_id: Option<u64>,
    /// Output of `forge script script/DeployL1.s.sol` (lines "OpenPortal 0x..",
    /// "SettlementInbox 0x.."); --portal and --inbox take precedence.
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
    /// The OpenPortal (deposits). Required without --deployment.
    #[arg(long, value_name = "ADDRESS")]
    portal: Option<Address>,
    /// The SettlementInbox (batches, output roots). Default: the portal's inbox().
    #[arg(long, value_name = "ADDRESS")]
    inbox: Option<Address>,
    /// The batcher. Default: the inbox's batcher().
    #[arg(long, value_name = "ADDRESS")]
    batcher: Option<Address>,
    /// L2 chain id.
    #[arg(long = "l2.chain-id", value_name = "ID", default_value_t = 1612)]
    l2_chain_id: u64,
    /// Seconds between L2 blocks.
    #[arg(long = "block-time", value_name = "SECONDS", default_value_t = 1)]
    block_time: u64,
    /// L1 blocks within which an epoch's batches must land.
    #[arg(long = "seq-window-size", value_name = "L1_BLOCKS", default_value_t = 100)]
    seq_window_size: u64,
    /// L1 blocks a channel may take from its first frame to its last.
    #[arg(long = "channel-timeout", value_name = "L1_BLOCKS", default_value_t = 50)]
    channel_timeout: u64,
    /// Seconds an L2 block's timestamp may run ahead of its L1 origin's.
    #[arg(long = "max-sequencer-drift", value_name = "SECONDS", default_value_t = 600)]
    max_sequencer_drift: u64,
    /// L1 blocks behind the head the sequencer adopts as origins.
    #[arg(long = "confirmation-depth", value_name = "L1_BLOCKS", default_value_t = 2)]
    confirmation_depth: u64,
    /// L2 block gas limit.
    #[arg(long = "gas-limit", default_value_t = 30_000_000)]
    gas_limit: u64,
    /// Ecotone base-fee scalar of the L1 data fee.
    #[arg(long = "base-fee-scalar", default_value_t = 5_227)]
    base_fee_scalar: u32,
    /// Ecotone blob-base-fee scalar of the L1 data fee.
    #[arg(long = "blob-base-fee-scalar", default_value_t = 1_014_213)]
    blob_base_fee_scalar: u32,
    /// Directory to write genesis.json and rollup.json to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Overwrite existing genesis.json / rollup.json in --out.
    #[arg(long)]
    force: bool,
    /// JSON logs.
    #[arg(long = "log.json")]
    log_json: bool,
}

/// Contract addresses printed by DeployL1.s.sol (`<Name> <0xaddress>` lines, anywhere in the
/// text, e.g. under forge's "== Logs ==").
fn parse_deployment(text: &str) -> eyre::Result<BTreeMap<String, Address>> {
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(address), None) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if !(address.starts_with("0x") && address.len() == 42) {
            continue;
        }
        let address: Address =
            address.parse().wrap_err_with(|| format!("deployment line {line:?}"))?;
        if let Some(previous) = found.insert(name.to_string(), address)
            && previous != address
        {
            bail!("deployment names {name} twice: {previous} and {address}");
        }
    }
    Ok(found)
}

/// The portal and (optional) inbox from the flags and the deployment file.
fn addresses(args: &Args) -> eyre::Result<(Address, Option<Address>)> {
    let deployed = match &args.deployment {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("deployment file {}", path.display()))?;
            parse_deployment(&text).wrap_err_with(|| format!("{}", path.display()))?
        }
        None => BTreeMap::new(),
    };
    let portal = args.portal.or_else(|| deployed.get("OpenPortal").copied()).ok_or_else(|| {
        eyre!("no portal: pass --portal or a --deployment file with an \"OpenPortal 0x..\" line")
    })?;
    let inbox = args.inbox.or_else(|| deployed.get("SettlementInbox").copied());
    Ok((portal, inbox))
}

/// One `eth_call` of an address-returning getter at `at`.
/// The dev accounts' L2 balances: `supply` (what the portal locked for the genesis) split
/// evenly, the remainder to the first, so the genesis allocates exactly what L1 backs.
fn dev_allocation(supply: U256, accounts: usize) -> Vec<U256> {
    let n = U256::from(accounts.max(1));
    let (share, rest) = (supply / n, supply % n);
    (0..accounts).map(|i| if i == 0 { share + rest } else { share }).collect()
}

async fn call_address<C: SolCall<Return = Address>>(
    l1: &RootProvider,
    to: Address,
    call: C,
    at: BlockId,
) -> eyre::Result<Address> {
    let request = TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
    let out =
        l1.call(request).block(at).await.wrap_err_with(|| format!("{} on {to}", C::SIGNATURE))?;
    C::abi_decode_returns(&out).map_err(|e| eyre!("{} on {to} returned {out}: {e}", C::SIGNATURE))
}

/// Fails unless `address` has code at `at`.
async fn require_code(
    l1: &RootProvider,
    what: &str,
    address: Address,
    at: BlockId,
    number: u64,
) -> eyre::Result<()> {
    let code =
        l1.get_code_at(address).block_id(at).await.wrap_err_with(|| format!("code of {what}"))?;
    if code.is_empty() {
        bail!(
            "the {what} {address} has no code at L1 block {number} (deployed later, or wrong address?)"
        );
    }
    Ok(())
}

fn write(path: &Path, contents: &str) -> eyre::Result<()> {
    std::fs::write(path, contents).wrap_err_with(|| format!("writing {}", path.display()))
}

/// Removes a staged file after a failure (best effort: the failure is what gets reported).
fn discard(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        warn!(path = %path.display(), error = %e, "could not remove a staged file");
    }
}

async fn run(args: Args) -> eyre::Result<()> {
    let genesis_path = args.out.join("genesis.json");
    let rollup_path = args.out.join("rollup.json");
    for path in [&genesis_path, &rollup_path] {
        if path.exists() && !args.force {
            bail!("{} exists; pass --force to overwrite", path.display());
        }
    }
    let (portal, inbox_flag) = addresses(&args)?;
    let url = args.l1_rpc.parse().wrap_err_with(|| format!("bad --l1.rpc URL {}", args.l1_rpc))?;
    let l1: RootProvider = RootProvider::new_http(url);

    let l1_chain_id = l1.get_chain_id().await.wrap_err_with(|| format!("L1 at {}", args.l1_rpc))?;
    if let Some(expected) = args.l1_chain_id
        && expected != l1_chain_id
    {
        bail!("--l1.chain-id is {expected} but the L1 at {} is chain {l1_chain_id}", args.l1_rpc);
    }
    let head = l1.get_block_number().await.wrap_err("L1 head")?;
    let number = args.l1_block.unwrap_or(head);
    if number > head {
        bail!("--l1.block {number} is above the L1 head {head}");
    }
    let block = l1
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .wrap_err_with(|| format!("L1 block {number}"))?
        .ok_or_else(|| eyre!("the L1 has no block {number}"))?;
    let (hash, timestamp): (B256, u64) = (block.header.hash, block.header.timestamp);
    info!(number, %hash, timestamp, l1_chain_id, "L1 genesis block");
    let at = BlockId::hash(hash);

    require_code(&l1, "portal", portal, at, number).await?;
    let inbox = call_address(&l1, portal, OpenPortal::inboxCall {}, at).await?;
    if let Some(given) = inbox_flag
        && given != inbox
    {
        bail!("the portal {portal} settles to the inbox {inbox}, not {given}");
    }
    require_code(&l1, "inbox", inbox, at, number).await?;
    let batcher = call_address(&l1, inbox, SettlementInbox::batcherCall {}, at).await?;
    if let Some(given) = args.batcher
        && given != batcher
    {
        bail!("the inbox {inbox} accepts batches from {batcher}, not from --batcher {given}");
    }
    info!(%portal, %inbox, %batcher, "L1 contracts");

    // The L2 genesis: the dev accounts on this chain id, at the L1 block's time, holding exactly
    // the OPEN the portal locked for them (L2 OPEN supply <= OPEN locked on L1, from block 0).
    let request = TransactionRequest::default()
        .to(portal)
        .input(Bytes::from(OpenPortal::genesisSupplyCall {}.abi_encode()).into());
    let out = l1.call(request).block(at).await.wrap_err("genesisSupply() on the portal")?;
    let supply = OpenPortal::genesisSupplyCall::abi_decode_returns(&out)
        .map_err(|e| eyre!("genesisSupply() on {portal} returned {out}: {e}"))?;
    let mut spec = GenesisSpec::dev(Some(args.gas_limit))?;
    spec.chain.chain_id = args.l2_chain_id;
    spec.timestamp = timestamp;
    let keys = ol_sequencer::genesis::dev_keys()?;
    for (key, balance) in keys.iter().zip(dev_allocation(supply, keys.len())) {
        if let Some(account) = spec.alloc.get_mut(&key.address()) {
            account.balance = balance;
        }
    }
    info!(genesis_supply = %supply, accounts = keys.len(), "L2 genesis allocation backed by the portal");
    std::fs::create_dir_all(&args.out)
        .wrap_err_with(|| format!("creating {}", args.out.display()))?;
    // Hash what the node will build from the file, not the in-memory spec: write it aside,
    // read it back, and only then put both files in place.
    let staged = args.out.join(".genesis.json.tmp");
    write(&staged, &serde_json::to_string_pretty(&spec.to_genesis_json())?)?;
    let l2_hash = match GenesisSpec::from_file(&staged) {
        Ok(read) => read.build().1.header.hash(),
        Err(e) => {
            discard(&staged);
            return Err(e.into());
        }
    };

    let rollup = RollupConfig {
        genesis: RollupGenesis {
            l1: RollupBlockId { hash, number },
            l2: RollupBlockId { hash: l2_hash, number: 0 },
            l2_time: timestamp,
            system_config: SystemConfig {
                batcher_addr: batcher,
                base_fee_scalar: args.base_fee_scalar,
                blob_base_fee_scalar: args.blob_base_fee_scalar,
                gas_limit: args.gas_limit,
            },
        },
        block_time: args.block_time,
        max_sequencer_drift: args.max_sequencer_drift,
        seq_window_size: args.seq_window_size,
        channel_timeout: args.channel_timeout,
        confirmation_depth: args.confirmation_depth,
        l1_chain_id,
        l2_chain_id: args.l2_chain_id,
        batch_inbox_address: inbox,
        deposit_contract_address: portal,
        l2_output_oracle_address: inbox,
    };
    if let Err(e) = rollup.validate() {
        discard(&staged);
        return Err(e.into());
    }
    std::fs::rename(&staged, &genesis_path)
        .wrap_err_with(|| format!("moving {} into place", genesis_path.display()))?;
    write(&rollup_path, &serde_json::to_string_pretty(&rollup)?)?;
    info!(
        genesis = %genesis_path.display(),
        rollup = %rollup_path.display(),
        l2_chain_id = args.l2_chain_id,
        l2_genesis = %l2_hash,
        "written"
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if args.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("tokio runtime")
        .and_then(|runtime| runtime.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The cause chain on one line, without eyre's backtrace.
            eprintln!("ol-genesis: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    const FORGE_OUTPUT: &str = "\
Script ran successfully.

== Return ==
d: struct DeployL1.Deployment Deployment({ token: 0x5FbDB2315678afecb367f032d93F642f64180aa3 })

== Logs ==
  OpenToken 0x5FbDB2315678afecb367f032d93F642f64180aa3
  AttestationVerifier 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512
  SettlementInbox 0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0
  OpenPortal 0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9
";

    #[test]
    fn the_dev_allocation_is_exactly_the_locked_supply() {
        let ten_thousand = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
        let split = dev_allocation(ten_thousand * U256::from(10u64), 10);
        assert!(split.iter().all(|b| *b == ten_thousand));
        let odd = dev_allocation(U256::from(1_003u64), 10);
        assert_eq!(odd[0], U256::from(103u64));
        assert!(odd[1..].iter().all(|b| *b == U256::from(100u64)));
        assert_eq!(odd.iter().fold(U256::ZERO, |a, b| a + *b), U256::from(1_003u64));
        assert!(dev_allocation(U256::ZERO, 10).iter().all(|b| b.is_zero()));
    }

    #[test]
    fn reads_the_deploy_script_output() {
        let found = parse_deployment(FORGE_OUTPUT).expect("parses");
        assert_eq!(found["OpenPortal"], address!("Cf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"));
        assert_eq!(found["SettlementInbox"], address!("9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"));
        assert_eq!(found.len(), 4);
        let twice =
            format!("{FORGE_OUTPUT}  OpenPortal 0x0000000000000000000000000000000000000001\n");
        assert!(parse_deployment(&twice).is_err());
        assert!(parse_deployment("OpenPortal 0xZZ00000000000000000000000000000000000001").is_err());
        assert!(parse_deployment("nothing here").expect("parses").is_empty());
    }

    #[test]
    fn flags_take_precedence_over_the_deployment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("deploy.log");
        std::fs::write(&file, FORGE_OUTPUT).expect("write");
        let parse = |extra: &[&str]| {
            let mut argv = vec!["ol-genesis", "--l1.rpc", "http://x", "--out", "o"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).expect("args")
        };
        let file = file.to_str().expect("utf-8 path");
        let (portal, inbox) = addresses(&parse(&["--deployment", file])).expect("addresses");
        assert_eq!(portal, address!("Cf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"));
        assert_eq!(inbox, Some(address!("9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")));
        let other = "0x0000000000000000000000000000000000000042";
        let (portal, _) =
            addresses(&parse(&["--deployment", file, "--portal", other])).expect("addresses");
        assert_eq!(portal, other.parse::<Address>().expect("address"));
        assert!(addresses(&parse(&[])).is_err());
        assert!(addresses(&parse(&["--deployment", "/nonexistent/deploy.log"])).is_err());
    }
}
