//! Chain parameters, accounts and set-up transactions.

use super::*;

// ---------------------------------------------------------------------------------------------
// Chain parameters, accounts and set-up transactions.
// ---------------------------------------------------------------------------------------------

/// Chain id and the fees every transaction of the run uses.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChainParams {
    pub(super) chain_id: u64,
    pub(super) base_fee: u128,
    pub(super) tip: u128,
    pub(super) max_fee: u128,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HeaderLite {
    #[serde(default)]
    pub(super) base_fee_per_gas: Option<U256>,
}

impl ChainParams {
    pub(super) async fn read(conn: &mut Conn, tip: u128) -> Result<Self> {
        let chain_id: U64 = conn.call("eth_chainId", json!([])).await?;
        let gas_price: U256 = conn.call("eth_gasPrice", json!([])).await?;
        let latest: Option<HeaderLite> =
            conn.call("eth_getBlockByNumber", json!(["latest", false])).await?;
        let latest = latest.ok_or_else(|| eyre!("the node has no latest block"))?;
        let base_fee = latest.base_fee_per_gas.unwrap_or(gas_price);
        let base_fee = u128::try_from(base_fee).wrap_err("base fee does not fit in u128")?;
        let gas_price = u128::try_from(gas_price).wrap_err("gas price does not fit in u128")?;
        let max_fee = base_fee.saturating_mul(2).saturating_add(tip).max(gas_price);
        Ok(Self { chain_id: chain_id.to(), base_fee, tip, max_fee })
    }

    /// Signs an EIP-1559 transaction; returns its hash and EIP-2718 encoding.
    pub(super) fn sign(&self, signer: &PrivateKeySigner, tx: TxFields) -> Result<(B256, Vec<u8>)> {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: tx.nonce,
            gas_limit: tx.gas,
            max_fee_per_gas: self.max_fee,
            max_priority_fee_per_gas: self.tip,
            to: tx.to,
            value: tx.value,
            access_list: Default::default(),
            input: tx.input,
        };
        let signature = signer.sign_hash_sync(&tx.signature_hash()).wrap_err("signing")?;
        let signed = tx.into_signed(signature);
        let mut raw = Vec::with_capacity(signed.eip2718_encoded_length());
        signed.eip2718_encode(&mut raw);
        Ok((*signed.hash(), raw))
    }
}

/// The per-transaction fields; chain id and fees come from [`ChainParams`].
pub(super) struct TxFields {
    pub(super) nonce: u64,
    pub(super) gas: u64,
    pub(super) to: TxKind,
    pub(super) value: U256,
    pub(super) input: EvmBytes,
}

/// A signing key with its next nonce and balance as read from the node.
pub(super) struct Account {
    pub(super) signer: PrivateKeySigner,
    pub(super) nonce: u64,
    pub(super) balance: U256,
}

impl Account {
    pub(super) async fn load(conn: &mut Conn, signer: PrivateKeySigner) -> Result<Self> {
        let address = signer.address();
        let nonce: U64 = conn.call("eth_getTransactionCount", json!([address, "pending"])).await?;
        let balance: U256 = conn.call("eth_getBalance", json!([address, "latest"])).await?;
        Ok(Self { signer, nonce: nonce.to(), balance })
    }

    pub(super) fn address(&self) -> Address {
        self.signer.address()
    }

    /// Signs and sends a set-up transaction, returning its hash.
    pub(super) async fn send(
        &mut self,
        conn: &mut Conn,
        chain: &ChainParams,
        to: TxKind,
        value: U256,
        input: Vec<u8>,
        gas: u64,
    ) -> Result<B256> {
        let fields = TxFields { nonce: self.nonce, gas, to, value, input: input.into() };
        let (hash, raw) = chain.sign(&self.signer, fields)?;
        let sent: B256 = conn
            .call("eth_sendRawTransaction", json!([format!("0x{}", hex::encode(raw))]))
            .await
            .wrap_err("set-up transaction rejected")?;
        if sent != hash {
            warn!(%sent, %hash, "node returned a different transaction hash than computed");
        }
        self.nonce += 1;
        Ok(hash)
    }

    /// Waits until every transaction sent so far is mined (the latest nonce catches up).
    pub(super) async fn wait_mined(
        &self,
        conn: &mut Conn,
        timeout: Duration,
        stop: &Stop,
    ) -> Result<()> {
        let start = Instant::now();
        loop {
            let mined: U64 =
                conn.call("eth_getTransactionCount", json!([self.address(), "latest"])).await?;
            if mined.to::<u64>() >= self.nonce {
                return Ok(());
            }
            if stop.is_set() {
                bail!("interrupted during set-up");
            }
            if start.elapsed() > timeout {
                bail!(
                    "set-up transactions of {} not mined within {timeout:?} (mined nonce {mined}, \
                     sent up to {})",
                    self.address(),
                    self.nonce
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReceiptLite {
    #[serde(default)]
    pub(super) status: Option<U64>,
    #[serde(default)]
    pub(super) contract_address: Option<Address>,
}

/// Waits for a receipt (some nodes advance the nonce a moment before the receipt is served) and
/// fails unless its status is 1.
pub(super) async fn require_success(
    conn: &mut Conn,
    hash: B256,
    what: &str,
) -> Result<ReceiptLite> {
    let start = Instant::now();
    let receipt = loop {
        let receipt: Option<ReceiptLite> =
            conn.call("eth_getTransactionReceipt", json!([hash])).await?;
        match receipt {
            Some(receipt) => break receipt,
            None if start.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            None => bail!("{what}: no receipt for {hash} after 10 s"),
        }
    };
    if receipt.status != Some(U64::from(1)) {
        bail!("{what}: transaction {hash} failed (status {:?})", receipt.status);
    }
    Ok(receipt)
}

/// Reads the ERC-20 artifact and returns its path and init code (constructor arguments included).
pub(super) fn load_erc20_init_code(flag: Option<&Path>) -> Result<(PathBuf, Vec<u8>)> {
    let candidates = match flag {
        Some(path) => vec![path.to_path_buf()],
        None => vec![
            PathBuf::from("contracts/artifacts/TestToken.json"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/artifacts/TestToken.json"),
        ],
    };
    let path = candidates.iter().find(|p| p.is_file()).ok_or_else(|| {
        eyre!("no ERC-20 artifact found (tried {candidates:?}); pass --erc20-artifact")
    })?;
    let text = std::fs::read_to_string(path).wrap_err_with(|| format!("reading {path:?}"))?;
    let artifact: Value =
        serde_json::from_str(&text).wrap_err_with(|| format!("parsing {path:?}"))?;
    let bytecode = match &artifact["bytecode"] {
        Value::String(code) => code.as_str(),
        Value::Object(fields) => fields.get("object").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    let mut code = hex::decode(bytecode.trim_start_matches("0x"))
        .wrap_err_with(|| format!("{path:?}: bytecode is not plain hex (unlinked library?)"))?;
    if code.is_empty() {
        bail!("{path:?} has no bytecode (expected bytecode.object)");
    }
    let abi = artifact["abi"].as_array().ok_or_else(|| eyre!("{path:?} has no abi array"))?;
    for function in ["transfer", "balanceOf"] {
        if !abi.iter().any(|e| e["type"] == "function" && e["name"] == function) {
            bail!("{path:?}: the abi has no {function} function; is this an ERC-20?");
        }
    }
    let constructor_inputs: Vec<&str> = abi
        .iter()
        .find(|e| e["type"] == "constructor")
        .and_then(|c| c["inputs"].as_array())
        .map(|inputs| inputs.iter().map(|i| i["type"].as_str().unwrap_or("?")).collect())
        .unwrap_or_default();
    match constructor_inputs.as_slice() {
        [] => {}
        ["uint256"] => code.extend_from_slice(&U256::from(TOKEN_SUPPLY).to_be_bytes::<32>()),
        other => bail!(
            "{path:?}: constructor takes {other:?}; expected no argument or one uint256 supply"
        ),
    }
    Ok((path.clone(), code))
}

/// Deploys the ERC-20 from the funder, waits for it and returns its address.
pub(super) async fn deploy_erc20(
    cli: &Cli,
    conn: &mut Conn,
    chain: &ChainParams,
    funder: &mut Account,
    stop: &Stop,
) -> Result<Address> {
    let (path, init_code) = load_erc20_init_code(cli.erc20_artifact.as_deref())?;
    let estimate: U64 = conn
        .call(
            "eth_estimateGas",
            json!([{ "from": funder.address(), "data": format!("0x{}", hex::encode(&init_code)) }]),
        )
        .await
        .wrap_err("estimating the ERC-20 deployment")?;
    let gas = estimate.to::<u64>().saturating_mul(13) / 10;
    let expected = funder.address().create(funder.nonce);
    let hash = funder.send(conn, chain, TxKind::Create, U256::ZERO, init_code, gas).await?;
    funder.wait_mined(conn, Duration::from_secs(cli.timeout_secs), stop).await?;
    let receipt = require_success(conn, hash, "ERC-20 deployment").await?;
    let token = receipt.contract_address.unwrap_or(expected);
    info!(%token, artifact = %path.display(), "ERC-20 deployed");
    Ok(token)
}

/// `balanceOf(holder)` through `eth_call`.
pub(super) async fn token_balance(
    conn: &mut Conn,
    token: Address,
    holder: Address,
) -> Result<U256> {
    let data = balanceOfCall { account: holder }.abi_encode();
    let out: EvmBytes = conn
        .call("eth_call", json!([{ "to": token, "data": EvmBytes::from(data) }, "latest"]))
        .await?;
    balanceOfCall::abi_decode_returns(&out).wrap_err("decoding balanceOf")
}
