//! What a block commits to, recomputed by the test from the block's JSON alone: the header hash
//! (keccak of the RLP header), the transactions root, the receipts root and every bloom, and the
//! withdrawals root (the L2ToL1MessagePasser's storage root, Isthmus). The blocks carry every
//! transaction type the node accepts (legacy, EIP-2930, EIP-1559, EIP-7702, the L1-attributes
//! deposit), logs, and a withdrawal. The same transactions check the fee each sender pays: gas
//! times price, plus the L1 data fee that `GasPriceOracle.getL1Fee` gives, plus value, to the
//! wei; and that a 7702 authorization delegates the authority's code.

use crate::harness::{ADDR1, KEY0, TestNode, creation_code};
use alloy_consensus::proofs::{calculate_receipt_root, calculate_transaction_root};
use alloy_eips::{eip2718::Encodable2718, eip7702::Authorization};
use alloy_network::{EthereumWallet, ReceiptResponse, TransactionBuilder, TransactionBuilder7702};
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, LogData, U256, keccak256, logs_bloom};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{AccessList, AccessListItem, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope, OpTxType};
use serde_json::{Value, json};

sol! {
    function transfer(address to, uint256 amount) returns (bool);
    function initiateWithdrawal(address target, uint256 gasLimit, bytes data);
    function getL1Fee(bytes data) returns (uint256);
    function baseFeeScalar() returns (uint32);
    function blobBaseFeeScalar() returns (uint32);
    function l1BaseFee() returns (uint256);
    function blobBaseFee() returns (uint256);
}

const PASSER: Address = alloy_primitives::address!("4200000000000000000000000000000000000016");
const ORACLE: Address = alloy_primitives::address!("420000000000000000000000000000000000000F");

/// Code that returns the balance of the account it runs as (`SELFBALANCE`), and its initcode.
const SELFBALANCE_RUNTIME: [u8; 7] = [0x47, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];

fn selfbalance_initcode() -> Bytes {
    let mut code = vec![0x66];
    code.extend_from_slice(&SELFBALANCE_RUNTIME);
    // PUSH0 MSTORE (the 7 bytes land at 25..32), RETURN(25, 7).
    code.extend_from_slice(&[0x5f, 0x52, 0x60, 0x07, 0x60, 0x19, 0xf3]);
    code.into()
}

fn quantity(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("quantity: {v}"));
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

fn big(v: &Value) -> U256 {
    let s = v.as_str().unwrap_or_else(|| panic!("quantity: {v}"));
    U256::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex quantity")
}

fn parse<T: std::str::FromStr>(v: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    v.as_str().unwrap_or_else(|| panic!("string: {v}")).parse().expect("parse")
}

/// A receipt rebuilt from its JSON fields (status, cumulative gas, logs, type, deposit fields),
/// with the bloom computed here.
fn receipt_from_json(r: &Value) -> OpReceiptEnvelope {
    let logs: Vec<Log> = r["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| {
            let topics = l["topics"].as_array().expect("topics").iter().map(parse).collect();
            let data: Bytes = parse(&l["data"]);
            Log { address: parse(&l["address"]), data: LogData::new_unchecked(topics, data) }
        })
        .collect();
    let ty = match quantity(&r["type"]) {
        0 => OpTxType::Legacy,
        1 => OpTxType::Eip2930,
        2 => OpTxType::Eip1559,
        4 => OpTxType::Eip7702,
        0x7e => OpTxType::Deposit,
        other => panic!("unexpected receipt type {other}"),
    };
    let deposit = |k: &str| (ty == OpTxType::Deposit).then(|| quantity(&r[k]));
    let envelope = OpReceiptEnvelope::from_parts(
        quantity(&r["status"]) == 1,
        quantity(&r["cumulativeGasUsed"]),
        &logs,
        ty,
        deposit("depositNonce"),
        deposit("depositReceiptVersion"),
    );
    assert_eq!(
        parse::<Bloom>(&r["logsBloom"]),
        logs_bloom(&logs),
        "receipt bloom of {}",
        r["transactionHash"]
    );
    envelope
}

async fn rpc(provider: &impl Provider, method: &'static str, params: Value) -> Value {
    provider.raw_request(method.into(), params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// Checks every commitment of block `number` from its JSON; returns the block.
async fn check_block(provider: &impl Provider, number: u64) -> Value {
    let block = rpc(provider, "eth_getBlockByNumber", json!([format!("0x{number:x}"), true])).await;
    // The header hash: keccak256 of the RLP of the fields as served.
    let header: alloy_rpc_types_eth::Header =
        serde_json::from_value(block.clone()).expect("header json");
    assert_eq!(header.inner.hash_slow(), header.hash, "block {number}: hash = keccak(rlp(header))");

    // Transactions: each re-encoded from its JSON fields, hashed here, rooted here.
    let mut envelopes = Vec::new();
    for tx in block["transactions"].as_array().expect("full transactions") {
        let rpc_tx: op_alloy::rpc_types::Transaction =
            serde_json::from_value(tx.clone()).unwrap_or_else(|e| panic!("tx json {tx}: {e}"));
        let envelope: OpTxEnvelope = rpc_tx.inner.inner.into_inner();
        let hash = keccak256(envelope.encoded_2718());
        assert_eq!(hash, parse::<B256>(&tx["hash"]), "block {number}: tx hash from its fields");
        envelopes.push(envelope);
    }
    assert_eq!(
        calculate_transaction_root(&envelopes),
        header.inner.transactions_root,
        "block {number}: transactions root"
    );

    // Receipts: rebuilt from their fields; the root and the header bloom follow.
    let receipts = rpc(provider, "eth_getBlockReceipts", json!([format!("0x{number:x}")])).await;
    let receipts: Vec<OpReceiptEnvelope> =
        receipts.as_array().expect("receipts").iter().map(receipt_from_json).collect();
    assert_eq!(receipts.len(), envelopes.len(), "block {number}: one receipt per transaction");
    assert_eq!(
        calculate_receipt_root(&receipts),
        header.inner.receipts_root,
        "block {number}: receipts root"
    );
    let mut bloom = Bloom::ZERO;
    for r in &receipts {
        bloom.accrue_bloom(r.logs_bloom());
    }
    assert_eq!(bloom, header.inner.logs_bloom, "block {number}: header bloom");
    block
}

#[tokio::test(flavor = "multi_thread")]
async fn block_commitments_recomputed_from_json_and_fees_to_the_wei() {
    let (node, _dir) = TestNode::fresh(&[]);
    let signer: PrivateKeySigner = KEY0.parse().expect("key");
    let sender = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(node.url.parse().expect("url"));
    let chain_id = provider.get_chain_id().await.expect("chain id");
    let to: Address = ADDR1.parse().expect("address");
    let gas_price = provider.get_gas_price().await.expect("gas price") * 2;

    // Each transaction is mined in its own block (instant mining).
    let send = |tx: TransactionRequest| {
        let provider = provider.clone();
        async move {
            let receipt = provider
                .send_transaction(tx)
                .await
                .expect("send")
                .get_receipt()
                .await
                .expect("receipt");
            assert!(receipt.status(), "{receipt:?}");
            receipt.transaction_hash
        }
    };
    let mut sent = Vec::new();
    let legacy = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(7u64))
        .with_gas_price(gas_price);
    sent.push((send(legacy).await, U256::from(7u64)));
    let access = AccessList(vec![AccessListItem {
        address: to,
        storage_keys: vec![B256::with_last_byte(1)],
    }]);
    let eip2930 = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(8u64))
        .with_gas_price(gas_price)
        .with_access_list(access);
    sent.push((send(eip2930).await, U256::from(8u64)));
    let code: Bytes = creation_code("TestToken").parse().expect("hex");
    let deploy = TransactionRequest::default().with_deploy_code(
        [code.as_ref(), U256::from(1_000_000u64).to_be_bytes::<32>().as_slice()].concat(),
    );
    let deployed = send(deploy).await;
    sent.push((deployed, U256::ZERO));
    let token = provider
        .get_transaction_receipt(deployed)
        .await
        .expect("receipt")
        .and_then(|r| r.contract_address())
        .expect("token");
    let token_transfer = TransactionRequest::default()
        .with_to(token)
        .with_input(transferCall { to, amount: U256::from(5u64) }.abi_encode());
    sent.push((send(token_transfer).await, U256::ZERO));
    // Large calldata, so the L1 fee is past the minimum size and FastLZ decides it.
    let bulky: Vec<u8> =
        (0..2_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let bulky_tx = TransactionRequest::default().with_to(to).with_input(bulky);
    sent.push((send(bulky_tx).await, U256::ZERO));
    let withdrawal_value = U256::from(1_000_000_000u64);
    let withdraw =
        TransactionRequest::default().with_to(PASSER).with_value(withdrawal_value).with_input(
            initiateWithdrawalCall {
                target: to,
                gasLimit: U256::from(100_000u64),
                data: Bytes::new(),
            }
            .abi_encode(),
        );
    sent.push((send(withdraw).await, withdrawal_value));

    // The withdrawals root of the head (the withdrawal's block) is the passer's storage root.
    let head = provider.get_block_number().await.expect("head");
    let passer = rpc(&provider, "eth_getProof", json!([PASSER, [], "latest"])).await;
    let head_block = check_block(&provider, head).await;
    assert_ne!(
        parse::<B256>(&passer["storageHash"]),
        alloy_trie::EMPTY_ROOT_HASH,
        "the withdrawal is stored"
    );
    assert_eq!(
        head_block["withdrawalsRoot"], passer["storageHash"],
        "withdrawals root = L2ToL1MessagePasser storage root"
    );

    // EIP-7702: account 1 delegates to SELFBALANCE code; the transaction is sent by account 0.
    let target = send(TransactionRequest::default().with_deploy_code(selfbalance_initcode())).await;
    let target = provider
        .get_transaction_receipt(target)
        .await
        .expect("receipt")
        .and_then(|r| r.contract_address())
        .expect("created");
    let authority: PrivateKeySigner =
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d".parse().expect("key");
    assert_eq!(authority.address(), to);
    let auth = Authorization {
        chain_id: U256::from(chain_id),
        address: target,
        nonce: provider.get_transaction_count(to).await.expect("nonce"),
    };
    let signature = authority.sign_hash_sync(&auth.signature_hash()).expect("sign");
    let delegate = TransactionRequest::default()
        .with_to(sender)
        .with_authorization_list(vec![auth.into_signed(signature)]);
    let delegated = send(delegate).await;
    let tx = rpc(&provider, "eth_getTransactionByHash", json!([delegated])).await;
    assert_eq!(tx["type"], "0x4", "a 7702 transaction: {tx}");
    let code = provider.get_code_at(to).await.expect("code");
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(target.as_slice());
    assert_eq!(code.as_ref(), designator.as_slice(), "the delegation designator");
    let balance = provider.get_balance(to).await.expect("balance");
    let called = provider
        .call(TransactionRequest::default().with_to(to))
        .await
        .expect("call the delegated account");
    assert_eq!(U256::from_be_slice(&called), balance, "the delegated code runs as account 1");

    // Every block from genesis to the head commits to what it holds.
    let head = provider.get_block_number().await.expect("head");
    for number in 0..=head {
        check_block(&provider, number).await;
    }

    // Fees: the sender pays gas × price + the L1 data fee + value, to the wei, and the L1 fee is
    // what the GasPriceOracle computes for the transaction at that block.
    let mut linear = 0;
    for (hash, value) in sent {
        let receipt = rpc(&provider, "eth_getTransactionReceipt", json!([hash])).await;
        let number = quantity(&receipt["blockNumber"]);
        let at = |n: u64| alloy_eips::BlockId::number(n);
        let before = provider.get_balance(sender).block_id(at(number - 1)).await.expect("before");
        let after = provider.get_balance(sender).block_id(at(number)).await.expect("after");
        let gas = U256::from(quantity(&receipt["gasUsed"]));
        let price = big(&receipt["effectiveGasPrice"]);
        let l1_fee = big(&receipt["l1Fee"]);
        let operator_fee =
            match (receipt.get("operatorFeeScalar"), receipt.get("operatorFeeConstant")) {
                (Some(s), Some(c)) if !s.is_null() && !c.is_null() => {
                    gas * big(s) / U256::from(1_000_000u64) + big(c)
                }
                _ => U256::ZERO,
            };
        assert_eq!(
            before - after,
            gas * price + l1_fee + value + operator_fee,
            "{hash}: the balance drops by gas × price + L1 fee + value"
        );

        let tx = rpc(&provider, "eth_getTransactionByHash", json!([hash])).await;
        let rpc_tx: op_alloy::rpc_types::Transaction =
            serde_json::from_value(tx.clone()).expect("tx json");
        let signed = rpc_tx.inner.inner.into_inner().encoded_2718();
        let oracle = |input: Vec<u8>| {
            let provider = provider.clone();
            async move {
                let out = provider
                    .call(TransactionRequest::default().with_to(ORACLE).with_input(input))
                    .block(at(number))
                    .await
                    .expect("oracle call");
                U256::from_be_slice(&out)
            }
        };
        // getL1Fee takes the signed transaction and adds 68 bytes for a signature (it is meant
        // for unsigned ones): above the minimum size the estimate is linear in the FastLZ size,
        // so the fee of the signed transaction itself follows from it exactly.
        let quoted = oracle(getL1FeeCall { data: signed.clone().into() }.abi_encode()).await;
        let fee_scaled = U256::from(oracle(baseFeeScalarCall {}.abi_encode()).await)
            * U256::from(16u64)
            * oracle(l1BaseFeeCall {}.abi_encode()).await
            + oracle(blobBaseFeeScalarCall {}.abi_encode()).await
                * oracle(blobBaseFeeCall {}.abi_encode()).await;
        let cost =
            |scaled_size: U256| scaled_size * fee_scaled / U256::from(10u64).pow(U256::from(12u64));
        let minimum = cost(U256::from(100_000_000u64));
        let expected = if quoted == minimum {
            // Small: both the signed transaction and the padded one are at the minimum size.
            minimum
        } else {
            // Solve quoted = cost(836_500·(s + 68) − 42_585_600) for the FastLZ size s.
            let size = (0..100_000u64)
                .find(|s| cost(U256::from(836_500 * (s + 68) - 42_585_600)) == quoted)
                .expect("a FastLZ size that gives the oracle's quote");
            assert_ne!(
                cost(U256::from(836_500 * (size + 69) - 42_585_600)),
                quoted,
                "one byte of size changes the fee, so the size is the only answer"
            );
            linear += 1;
            cost(U256::from(836_500 * size).saturating_sub(U256::from(42_585_600u64))).max(minimum)
        };
        assert!(l1_fee > U256::ZERO, "{hash}: an L1 fee is charged");
        assert_eq!(l1_fee, expected, "{hash}: the receipt's L1 fee is the oracle's");
    }
    assert!(linear >= 1, "the bulky transaction's L1 fee is past the minimum size");
}
