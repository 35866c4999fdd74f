// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SafeCall
/// @notice A call that is guaranteed a minimum amount of gas and copies no return data (so a
///         callee cannot make the caller run out of gas with a huge return value). Modelled on
///         the OP Stack's SafeCall.callWithMinGas.
library SafeCall {
    /// @notice Gas reserved for the CALL's own dynamic costs (cold account access, value
    ///         transfer, new account) and the few instructions between the check and the call.
    uint256 internal constant CALL_OVERHEAD = 40_000;

    /// @notice Not enough gas left to give the callee `minGas`.
    error SafeCallNotEnoughGas();

    /// @notice Whether `gasleft()` lets a CALL forward at least `_minGas` after EIP-150's 1/64
    ///         retention: gasleft * 63 >= minGas * 64 + 63 * CALL_OVERHEAD.
    function hasMinGas(uint256 _minGas) internal view returns (bool ok_) {
        // A _minGas this large can never be met (and would overflow below).
        if (_minGas > type(uint128).max) return false;
        ok_ = gasleft() * 63 >= _minGas * 64 + 63 * CALL_OVERHEAD;
    }

    /// @notice Calls `_target` with `_value` and `_calldata`, forwarding all gas; reverts unless
    ///         at least `_minGas` reaches the callee. Returns whether the call succeeded.
    function callWithMinGas(address _target, uint256 _minGas, uint256 _value, bytes memory _calldata)
        internal
        returns (bool success_)
    {
        if (!hasMinGas(_minGas)) revert SafeCallNotEnoughGas();
        assembly ("memory-safe") {
            success_ := call(gas(), _target, _value, add(_calldata, 32), mload(_calldata), 0, 0)
        }
    }
}
