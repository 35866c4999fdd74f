//! Fee suggestions and `eth_feeHistory`.

use super::EthApi;
use crate::rpc::error::{RpcError, RpcResult};
use alloy_consensus::Transaction;
use alloy_eips::BlockId;
use alloy_rpc_types_eth::{BlockNumberOrTag, FeeHistory};
use op_alloy::consensus::OpTxEnvelope;

/// Suggested priority fee: 0.001 gwei, op-geth's default minimum suggestion. Blocks are never
/// full on this chain in normal operation, so a higher tip buys nothing.
pub(crate) const SUGGESTED_TIP: u64 = 1_000_000;

impl EthApi {
    pub(crate) async fn history(
        &self,
        block_count: u64,
        newest: BlockNumberOrTag,
        percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        if let Some(p) = &percentiles
            && (p.len() > 100
                || p.iter().any(|v| !(0.0..=100.0).contains(v))
                || p.windows(2).any(|w| w[0] > w[1]))
        {
            return Err(RpcError::InvalidParams(
                "invalid reward percentiles: must be ascending values in [0, 100]".into(),
            ));
        }
        let count = block_count.min(self.config.max_fee_history);
        let Some(newest) = self.resolve(BlockId::Number(newest)).await? else {
            return Err(RpcError::HeaderNotFound);
        };
        if count == 0 {
            return Ok(FeeHistory { oldest_block: newest, ..Default::default() });
        }
        let oldest = (newest + 1).saturating_sub(count);
        let mut history = FeeHistory { oldest_block: oldest, ..Default::default() };
        let mut rewards = Vec::new();
        let mut last = None;
        for number in oldest..=newest {
            let Some(header) = self.chain.store.header(number).await? else {
                return Err(RpcError::HeaderNotFound);
            };
            let base_fee = header.base_fee_per_gas.unwrap_or_default();
            history.base_fee_per_gas.push(u128::from(base_fee));
            history.gas_used_ratio.push(header.gas_used as f64 / header.gas_limit.max(1) as f64);
            history.base_fee_per_blob_gas.push(1);
            history.blob_gas_used_ratio.push(0.0);
            if let Some(percentiles) = &percentiles {
                let txs = self.chain.store.block_transactions(number).await?;
                let mut tips: Vec<(u128, u64)> = txs
                    .iter()
                    .filter(|t| !matches!(t.tx, OpTxEnvelope::Deposit(_)))
                    .map(|t| (t.tx.effective_tip_per_gas(base_fee).unwrap_or_default(), t.gas_used))
                    .collect();
                tips.sort_unstable();
                rewards.push(reward_percentiles(&tips, percentiles));
            }
            last = Some(header);
        }
        if let Some(last) = last {
            history.base_fee_per_gas.push(u128::from(self.chain.config().next_base_fee(
                last.gas_used,
                last.gas_limit,
                last.base_fee_per_gas.unwrap_or_default(),
            )));
            history.base_fee_per_blob_gas.push(1);
        }
        history.reward = percentiles.map(|_| rewards);
        Ok(history)
    }
}

/// geth's rule: the tip at which the cumulative gas of cheaper-or-equal transactions reaches
/// `p` percent of the block's gas.
fn reward_percentiles(sorted_tips: &[(u128, u64)], percentiles: &[f64]) -> Vec<u128> {
    if sorted_tips.is_empty() {
        return vec![0; percentiles.len()];
    }
    let total: u64 = sorted_tips.iter().map(|(_, g)| *g).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut cumulative = 0u64;
            for (tip, gas) in sorted_tips {
                cumulative += gas;
                if cumulative >= threshold {
                    return *tip;
                }
            }
            sorted_tips.last().map(|(t, _)| *t).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::reward_percentiles;

    #[test]
    fn percentiles_follow_gas_weight() {
        let tips = [(1u128, 21_000u64), (5, 21_000), (10, 58_000)];
        assert_eq!(reward_percentiles(&tips, &[0.0, 25.0, 50.0, 100.0]), vec![1, 5, 10, 10]);
        assert_eq!(reward_percentiles(&[], &[50.0]), vec![0]);
    }
}
