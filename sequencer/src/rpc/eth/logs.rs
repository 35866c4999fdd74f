//! `eth_getLogs` with a range limit and a result limit.

use super::EthApi;
use crate::{
    rpc::{
        convert,
        error::{RpcError, RpcResult},
    },
    store::LogFilter,
};
use alloy_eips::BlockId;
use alloy_primitives::map::HashMap;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, FilterBlockOption, Log};

impl EthApi {
    pub(crate) async fn filter_logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        let head = self.chain.head().number;
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let n = self
                    .resolve(BlockId::Hash(hash.into()))
                    .await?
                    .ok_or(RpcError::HeaderNotFound)?;
                (n, n)
            }
            FilterBlockOption::Range { from_block, to_block } => {
                let resolve = |tag: Option<BlockNumberOrTag>, default: u64| async move {
                    match tag {
                        None => Ok::<u64, RpcError>(default),
                        Some(BlockNumberOrTag::Number(n)) => Ok(n.min(head)),
                        Some(tag) => Ok(self.resolve(BlockId::Number(tag)).await?.unwrap_or(head)),
                    }
                };
                (resolve(from_block, head).await?, resolve(to_block, head).await?)
            }
        };
        if from > to {
            return Err(RpcError::InvalidParams(
                "invalid block range: fromBlock is after toBlock".into(),
            ));
        }
        if to - from >= self.config.max_log_range {
            return Err(RpcError::Limit(format!(
                "block range too large: {} blocks, at most {} per query",
                to - from + 1,
                self.config.max_log_range
            )));
        }
        let mut query = LogFilter {
            from,
            to,
            addresses: filter.address.iter().copied().collect(),
            ..Default::default()
        };
        for (i, topic) in filter.topics.iter().enumerate() {
            query.topics[i] = topic.iter().copied().collect();
        }
        let limit = self.config.max_logs;
        let logs = self.chain.store.logs(&query, limit + 1).await?;
        if logs.len() > limit {
            let last = logs.get(limit).map(|l| l.block_number).unwrap_or(to);
            return Err(RpcError::Limit(format!(
                "query exceeds max results {limit}, retry with the range {from}-{}",
                last.saturating_sub(1).max(from)
            )));
        }
        let mut headers = HashMap::<u64, (alloy_primitives::B256, u64)>::default();
        let mut out = Vec::with_capacity(logs.len());
        for log in &logs {
            let (hash, timestamp) = match headers.get(&log.block_number) {
                Some(v) => *v,
                None => {
                    let header = self
                        .chain
                        .store
                        .header(log.block_number)
                        .await?
                        .ok_or(RpcError::HeaderNotFound)?;
                    let v = (header.hash(), header.timestamp);
                    headers.insert(log.block_number, v);
                    v
                }
            };
            out.push(convert::log(log, hash, timestamp));
        }
        Ok(out)
    }
}
