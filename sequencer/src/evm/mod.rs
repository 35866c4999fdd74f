//! The one place that builds EVMs: the sequencer, `eth_call` and (later) the prover all go
//! through [`NodeEvm`], so an upgrade of the revm stack or a new precompile touches this file.

use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_hardforks::ForkCondition;
use alloy_op_evm::{OpEvmFactory, block::OpAlloyReceiptBuilder};
use alloy_op_hardforks::{OpChainHardforks, OpHardfork};
use alloy_primitives::{Address, B256, U256};
use ol_protocol::ChainConfig;
use op_revm::OpSpecId;
use revm::{
    context::{BlockEnv, CfgEnv},
    context_interface::block::BlobExcessGasAndPrice,
};
use std::sync::Arc;

pub mod adapters;
pub mod attribution;
pub mod datasets;
mod journal;
pub mod tokens;

/// The in-memory indexes of registered data, shared by every EVM of one node (see
/// [`datasets`]).
#[derive(Debug, Default)]
pub struct Indexes {
    influence: Arc<datasets::Versions<ol_precompiles::influence::Datanet>>,
    tokens: Arc<tokens::TokenVersions>,
}

impl Indexes {
    /// Builds the newest index of every datanet in `state`, so the first queries after a start
    /// do not pay the build in time (their gas never depends on it).
    pub fn warm(&self, state: &crate::state::WorldState) -> Result<(), String> {
        let started = std::time::Instant::now();
        let (datanets, points) = attribution::warm(&self.influence, state)?;
        tracing::info!(
            target: "node",
            datanets,
            points,
            ms = started.elapsed().as_millis() as u64,
            "influence indexes built"
        );
        let started = std::time::Instant::now();
        let (datanets, tokens) = tokens::warm(&self.tokens, state)?;
        tracing::info!(
            target: "node",
            datanets,
            tokens,
            ms = started.elapsed().as_millis() as u64,
            "token indexes built"
        );
        Ok(())
    }
}

/// The EVM factory of the node: OP's, with OpenLedger's precompiles added to alloy-evm's
/// precompile map (the one hook revm supports for this). Every EVM the node runs — blocks,
/// `eth_call`, tracing, the prover — comes from here, and all of them share one set of
/// [`Indexes`].
#[derive(Debug, Clone, Default)]
pub struct NodeEvmFactory {
    op: OpEvmFactory,
    indexes: Arc<Indexes>,
}

impl NodeEvmFactory {
    fn with_precompiles<E: Evm<Precompiles = alloy_evm::precompiles::PrecompilesMap>>(
        &self,
        mut evm: E,
    ) -> E {
        let indexes = &self.indexes;
        evm.precompiles_mut().extend_precompiles([
            (
                ol_precompiles::abi::INFLUENCE_ADDRESS,
                attribution::influence_precompile(indexes.influence.clone()),
            ),
            (
                ol_precompiles::abi::TOKEN_ATTRIBUTION_ADDRESS,
                tokens::token_precompile(indexes.tokens.clone()),
            ),
            (ol_precompiles::abi::ADAPTER_REGISTRY_ADDRESS, adapters::adapter_precompile()),
        ]);
        evm
    }

    /// The indexes this factory's EVMs read.
    pub fn indexes(&self) -> &Indexes {
        &self.indexes
    }
}

impl EvmFactory for NodeEvmFactory {
    type Evm<DB: alloy_evm::Database, I: revm::Inspector<alloy_op_evm::OpEvmContext<DB>>> =
        <OpEvmFactory as EvmFactory>::Evm<DB, I>;
    type Context<DB: alloy_evm::Database> = <OpEvmFactory as EvmFactory>::Context<DB>;
    type Tx = <OpEvmFactory as EvmFactory>::Tx;
    type Error<DBError: core::error::Error + Send + Sync + 'static> =
        <OpEvmFactory as EvmFactory>::Error<DBError>;
    type HaltReason = <OpEvmFactory as EvmFactory>::HaltReason;
    type Spec = <OpEvmFactory as EvmFactory>::Spec;
    type BlockEnv = <OpEvmFactory as EvmFactory>::BlockEnv;
    type Precompiles = <OpEvmFactory as EvmFactory>::Precompiles;

    fn create_evm<DB: alloy_evm::Database>(
        &self,
        db: DB,
        input: EvmEnv<OpSpecId, BlockEnv>,
    ) -> Self::Evm<DB, revm::inspector::NoOpInspector> {
        self.with_precompiles(self.op.create_evm(db, input))
    }

    fn create_evm_with_inspector<DB: alloy_evm::Database, I: revm::Inspector<Self::Context<DB>>>(
        &self,
        db: DB,
        input: EvmEnv<OpSpecId, BlockEnv>,
        inspector: I,
    ) -> Self::Evm<DB, I> {
        self.with_precompiles(self.op.create_evm_with_inspector(db, input, inspector))
    }
}

/// The block executor factory: OP's executor over our EVM factory.
pub type NodeExecutorFactory =
    alloy_op_evm::OpBlockExecutorFactory<OpAlloyReceiptBuilder, OpChainHardforks, NodeEvmFactory>;

/// EVM rules for one chain.
#[derive(Debug, Clone)]
pub struct NodeEvm {
    chain: ChainConfig,
    executors: NodeExecutorFactory,
}

/// Block-level inputs to the EVM environment.
#[derive(Debug, Clone, Copy)]
pub struct BlockEnvInput {
    /// Block number.
    pub number: u64,
    /// Timestamp in seconds.
    pub timestamp: u64,
    /// Base fee per gas.
    pub base_fee: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// PREVRANDAO value (the L1 origin's mix hash on OP chains).
    pub prev_randao: B256,
    /// Fee recipient.
    pub beneficiary: Address,
}

fn fork(time: Option<u64>) -> ForkCondition {
    time.map_or(ForkCondition::Never, ForkCondition::Timestamp)
}

impl NodeEvm {
    /// EVM rules for `chain`.
    pub fn new(chain: ChainConfig) -> Self {
        let h = chain.hardforks;
        let forks = OpChainHardforks::new([
            (OpHardfork::Bedrock, ForkCondition::Block(0)),
            (OpHardfork::Regolith, ForkCondition::Timestamp(0)),
            (OpHardfork::Canyon, fork(h.canyon_time)),
            (OpHardfork::Ecotone, fork(h.ecotone_time)),
            (OpHardfork::Fjord, fork(h.fjord_time)),
            (OpHardfork::Granite, fork(h.granite_time)),
            (OpHardfork::Holocene, fork(h.holocene_time)),
            (OpHardfork::Isthmus, fork(h.isthmus_time)),
        ]);
        let executors = NodeExecutorFactory::new(
            OpAlloyReceiptBuilder::default(),
            forks,
            NodeEvmFactory::default(),
        );
        Self { chain, executors }
    }

    /// The chain's consensus parameters.
    pub fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    /// The block executor factory.
    pub fn executors(&self) -> &NodeExecutorFactory {
        &self.executors
    }

    /// The EVM factory.
    pub fn evm_factory(&self) -> &NodeEvmFactory {
        alloy_evm::block::BlockExecutorFactory::evm_factory(&self.executors)
    }

    /// The revm spec in force at `timestamp`.
    pub fn spec_at(&self, timestamp: u64) -> OpSpecId {
        alloy_op_evm::spec_by_timestamp_after_bedrock(self.executors.spec(), timestamp)
    }

    /// The EVM environment of a block.
    pub fn env(&self, block: &BlockEnvInput) -> EvmEnv<OpSpecId, BlockEnv> {
        let spec = self.spec_at(block.timestamp);
        let mut cfg = CfgEnv::new_with_spec(spec);
        cfg.chain_id = self.chain.chain_id;
        let block_env = BlockEnv {
            number: U256::from(block.number),
            beneficiary: block.beneficiary,
            timestamp: U256::from(block.timestamp),
            gas_limit: block.gas_limit,
            basefee: block.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(block.prev_randao),
            // OP chains carry no blobs; blob gas stays at its minimum price.
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
            ..Default::default()
        };
        EvmEnv { cfg_env: cfg, block_env }
    }
}
