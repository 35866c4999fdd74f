//! An alloy provider drives the node; `eth_getProof` answers verify against the block's state
//! root with alloy-trie's proof verifier.

use crate::harness::{ADDR1, KEY0, TestNode, creation_code};
use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{BlockNumberOrTag, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};

sol! {
    function fill(uint256 start, uint256 n);
    function clear(uint256 start, uint256 n);
}

#[tokio::test(flavor = "multi_thread")]
async fn alloy_provider_transfers_deploys_and_proofs_verify() {
    let (node, _dir) = TestNode::fresh(&[]);
    let signer: PrivateKeySigner = KEY0.parse().expect("key");
    let provider =
        ProviderBuilder::new().wallet(signer).connect_http(node.url.parse().expect("url"));
    let to: Address = ADDR1.parse().expect("address");

    let before = provider.get_balance(to).await.expect("balance");
    let tx = TransactionRequest::default().with_to(to).with_value(U256::from(12_345u64));
    let receipt =
        provider.send_transaction(tx).await.expect("send").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(provider.get_balance(to).await.expect("balance"), before + U256::from(12_345u64));

    // A storage-heavy contract, then proofs of its slots.
    let code: Bytes = creation_code("StorageHeavy").parse().expect("hex");
    let deploy = TransactionRequest::default().with_deploy_code(code);
    let receipt = provider
        .send_transaction(deploy)
        .await
        .expect("deploy")
        .get_receipt()
        .await
        .expect("receipt");
    let contract = receipt.contract_address().expect("created");
    let call = TransactionRequest::default()
        .with_to(contract)
        .with_input(fillCall { start: U256::ZERO, n: U256::from(20) }.abi_encode());
    let receipt =
        provider.send_transaction(call).await.expect("fill").get_receipt().await.expect("receipt");
    assert!(receipt.status());

    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .expect("block")
        .expect("exists");
    let state_root = block.header.state_root;
    let cell0 = keccak256([[0u8; 32], [0u8; 32]].concat());
    let count_slot = B256::with_last_byte(1);
    let absent = B256::repeat_byte(0xee);
    let proof = provider.get_proof(contract, vec![count_slot, cell0, absent]).await.expect("proof");

    let account = TrieAccount::new(proof.nonce, proof.balance, proof.storage_hash, proof.code_hash);
    let mut leaf = Vec::new();
    account.encode(&mut leaf);
    verify_proof(
        state_root,
        Nibbles::unpack(keccak256(contract)),
        Some(leaf),
        &proof.account_proof,
    )
    .expect("account proof verifies against the block's state root");

    assert_eq!(proof.storage_proof[0].value, U256::from(20));
    assert!(!proof.storage_proof[1].value.is_zero());
    assert!(proof.storage_proof[2].value.is_zero());
    for p in &proof.storage_proof {
        let expected = (!p.value.is_zero()).then(|| alloy_rlp::encode(p.value));
        verify_proof(
            proof.storage_hash,
            Nibbles::unpack(keccak256(p.key.as_b256())),
            expected,
            &p.proof,
        )
        .expect("storage proof verifies");
    }
    // A wrong value must not verify.
    let wrong = alloy_rlp::encode(U256::from(21));
    assert!(
        verify_proof(
            proof.storage_hash,
            Nibbles::unpack(keccak256(count_slot)),
            Some(wrong),
            &proof.storage_proof[0].proof
        )
        .is_err()
    );

    // Historical reads come from the change sets: the count was 0 before the fill block.
    let fill_block = receipt.block_number.expect("mined");
    let old = provider
        .get_storage_at(contract, U256::from(1))
        .block_id((fill_block - 1).into())
        .await
        .expect("old slot");
    assert_eq!(old, U256::ZERO);
    let now = provider.get_storage_at(contract, U256::from(1)).await.expect("slot");
    assert_eq!(now, U256::from(20));

    // Clearing storage shrinks the trie back: the slot proof becomes an exclusion proof.
    let call = TransactionRequest::default()
        .with_to(contract)
        .with_input(clearCall { start: U256::ZERO, n: U256::from(20) }.abi_encode());
    let receipt =
        provider.send_transaction(call).await.expect("clear").get_receipt().await.expect("receipt");
    assert!(receipt.status());
    let proof = provider.get_proof(contract, vec![cell0]).await.expect("proof");
    assert!(proof.storage_proof[0].value.is_zero());
    verify_proof(
        proof.storage_hash,
        Nibbles::unpack(keccak256(cell0)),
        None,
        &proof.storage_proof[0].proof,
    )
    .expect("exclusion proof verifies");
}
