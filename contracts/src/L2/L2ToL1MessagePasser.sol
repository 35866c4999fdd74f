// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @custom:predeploy 0x4200000000000000000000000000000000000016
/// @title L2ToL1MessagePasser
/// @notice Where withdrawals start. Every withdrawal is recorded as `sentMessages[hash] = true`;
///         the L1 portal later proves that storage slot against an output root, whose
///         `messagePasserStorageRoot` is this contract's storage root. Modelled on the OP Stack
///         predeploy, with the same storage layout and withdrawal hashing.
///
/// Storage layout (identical to OP's):
///   slot 0: sentMessages (mapping(bytes32 => bool)); entry at keccak256(abi.encode(hash, uint256(0)))
///   slot 1: [0..30) msgNonce (uint240)
///
/// Withdrawal hash (OP's Hashing.hashWithdrawal):
///   keccak256(abi.encode(uint256 nonce, address sender, address target, uint256 value,
///                        uint256 gasLimit, bytes data))
/// where nonce is the versioned nonce: MESSAGE_VERSION << 240 | msgNonce.
contract L2ToL1MessagePasser {
    /// @notice Gas limit of the withdrawal started by a plain ETH/OPEN transfer to this contract.
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Version of the message format, stored in the top 16 bits of the nonce.
    uint16 public constant MESSAGE_VERSION = 1;

    /// @notice Hashes of all withdrawals started here.
    mapping(bytes32 => bool) public sentMessages;

    /// @notice Unversioned nonce of the next withdrawal.
    uint240 internal msgNonce;

    /// @notice Emitted for every withdrawal.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice Emitted when the balance held here (the withdrawn value) is burnt.
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice A plain transfer starts a withdrawal of the same value to the sender on L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// @notice Semantic version.
    function version() public pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice Removes the value of all started withdrawals from the L2 supply: the balance is
    ///         sent to a contract that self-destructs in its constructor (EIP-6780 still deletes a
    ///         contract created in the same transaction, so the value leaves the state).
    function burn() external {
        uint256 balance = address(this).balance;
        new Burner{value: balance}();
        emit WithdrawerBalanceBurnt(balance);
    }

    /// @notice Value sent to `address(0)`: the portal releases OPEN to the target, and OPEN
    ///         (OpenZeppelin's ERC-20) cannot be sent to the zero address, so it could never
    ///         finalize and the value would be lost.
    error ValueToZeroAddress();

    /// @notice Starts a withdrawal to `_target` on L1 carrying `msg.value`. Value to
    ///         `address(0)` is refused (`ValueToZeroAddress`).
    /// @param _target   Address called on L1.
    /// @param _gasLimit Minimum gas limit for executing the message on L1.
    /// @param _data     Calldata for the L1 call.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        if (_target == address(0) && msg.value != 0) revert ValueToZeroAddress();
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = keccak256(abi.encode(nonce, msg.sender, _target, msg.value, _gasLimit, _data));

        sentMessages[withdrawalHash] = true;

        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);

        unchecked {
            ++msgNonce;
        }
    }

    /// @notice The nonce of the next withdrawal, with MESSAGE_VERSION in its top 16 bits.
    function messageNonce() public view returns (uint256 nonce_) {
        uint256 n = msgNonce;
        uint256 v = MESSAGE_VERSION;
        assembly {
            nonce_ := or(shl(240, v), n)
        }
    }
}

/// @title Burner
/// @notice Destroys itself in its constructor, and with it the value it was created with.
contract Burner {
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
