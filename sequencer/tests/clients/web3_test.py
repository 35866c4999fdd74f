"""web3.py against a running ol-node: `python3 web3_test.py http://127.0.0.1:PORT`.

A signed native transfer (local signing with eth_account), TestToken (OpenZeppelin ERC-20)
deployed through web3's signing middleware, balanceOf / transfer / events / a log filter, and
the string revert and custom error of the Reverter fixture. Exits non-zero on any failure.
"""

import json
import os
import signal
import sys
import traceback
from pathlib import Path

from eth_abi import decode
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.middleware import SignAndSendRawMiddlewareBuilder

TIMEOUT_S = 60
CHAIN_ID = 1612
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ADDR1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
ZERO = "0x0000000000000000000000000000000000000000"
ARTIFACTS = Path(__file__).resolve().parents[3] / "contracts" / "artifacts"

_step = "start"


def step(name):
    global _step
    _step = name
    print(f"-- {name}", flush=True)


def fail(message):
    print(f"FAIL [{_step}]: {message}", file=sys.stderr, flush=True)
    # os._exit: also works from the alarm handler and cannot be swallowed by an except.
    os._exit(1)


def check(cond, message):
    if not cond:
        fail(message)


def eq(actual, expected, what):
    if actual != expected:
        fail(f"{what}: expected {expected!r}, got {actual!r}")


def artifact(name):
    data = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return data["abi"], data["bytecode"]["object"]


def wait(w3, tx_hash):
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.1)


def main(url):
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 20}))

    step("web3: connection and chain id")
    check(w3.is_connected(), f"web3 cannot connect to {url}")
    eq(w3.eth.chain_id, CHAIN_ID, "eth.chain_id")
    eq(w3.net.version, str(CHAIN_ID), "net.version")
    check(isinstance(w3.client_version, str) and w3.client_version, "web3_clientVersion is empty")
    check(w3.eth.get_balance(ADDR0) > 0, "dev account 0 has no OPEN")

    step("web3: signed native transfer (eth_account local signing)")
    acct = Account.from_key(KEY0)
    eq(acct.address, ADDR0, "Account.from_key(key0).address")
    value = Web3.to_wei(1, "ether")
    before = w3.eth.get_balance(ADDR1)
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    gas = w3.eth.estimate_gas({"from": ADDR0, "to": ADDR1, "value": value})
    eq(gas, 21000, "estimate_gas of a plain transfer")
    tx = {
        "type": 2,
        "chainId": CHAIN_ID,
        "nonce": w3.eth.get_transaction_count(ADDR0, "pending"),
        "to": ADDR1,
        "value": value,
        "gas": gas,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * base_fee + tip,
    }
    signed = acct.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    eq(tx_hash, signed.hash, "send_raw_transaction returns the transaction hash")
    receipt = wait(w3, tx_hash)
    eq(receipt["status"], 1, "transfer receipt status")
    eq(receipt["transactionHash"], signed.hash, "receipt transactionHash")
    eq(receipt["gasUsed"], 21000, "transfer gasUsed")
    eq(receipt["from"], ADDR0, "receipt from")
    eq(receipt["to"], ADDR1, "receipt to")
    eq(w3.eth.get_balance(ADDR1) - before, value, "recipient balance delta")
    fetched = w3.eth.get_transaction(tx_hash)
    eq(fetched["value"], value, "get_transaction value")
    eq(fetched["blockNumber"], receipt["blockNumber"], "get_transaction blockNumber")
    block = w3.eth.get_block(receipt["blockNumber"])
    check(tx_hash in block["transactions"], "the receipt's block does not list the transaction")

    # From here on web3 fills and signs transactions itself (nonce, gas, fees, chain id).
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)
    w3.eth.default_account = acct.address

    step("web3: deploy TestToken and call balanceOf")
    abi, bytecode = artifact("TestToken")
    supply = 1_000_000 * 10**18
    Token = w3.eth.contract(abi=abi, bytecode=bytecode)
    deploy_receipt = wait(w3, Token.constructor(supply).transact())
    eq(deploy_receipt["status"], 1, "deploy receipt status")
    address = deploy_receipt["contractAddress"]
    check(address is not None and Web3.is_checksum_address(address), f"contractAddress {address!r}")
    check(len(w3.eth.get_code(address)) > 0, "no code at the token address")
    token = w3.eth.contract(address=address, abi=abi)
    eq(token.functions.totalSupply().call(), supply, "totalSupply()")
    eq(token.functions.balanceOf(ADDR0).call(), supply, "balanceOf(deployer)")
    eq(token.functions.decimals().call(), 18, "decimals()")

    step("web3: token transfer, receipt events, get_logs and a log filter")
    log_filter = token.events.Transfer.create_filter(from_block="latest")
    amount = 42 * 10**18
    t_receipt = wait(w3, token.functions.transfer(ADDR1, amount).transact())
    eq(t_receipt["status"], 1, "token transfer status")
    eq(token.functions.balanceOf(ADDR1).call(), amount, "balanceOf(recipient)")
    events = token.events.Transfer().process_receipt(t_receipt)
    eq(len(events), 1, "Transfer events in the receipt")
    eq(events[0]["args"]["to"], ADDR1, "receipt event to")
    eq(events[0]["args"]["value"], amount, "receipt event value")
    from_block = deploy_receipt["blockNumber"]
    logs = token.events.Transfer.get_logs(from_block=from_block)
    eq(len(logs), 2, "Transfer logs (mint + transfer) from get_logs")
    eq(logs[0]["args"]["from"], ZERO, "mint from")
    eq(logs[0]["args"]["value"], supply, "mint value")
    eq(logs[1]["transactionHash"], t_receipt["transactionHash"], "transfer log transactionHash")
    filtered = token.events.Transfer.get_logs(from_block=from_block, argument_filters={"to": ADDR1})
    eq(len(filtered), 1, "Transfer logs filtered by indexed `to`")
    changes = log_filter.get_new_entries()
    eq(len(changes), 1, "eth_getFilterChanges entries for the new transfer")
    eq(changes[0]["args"]["value"], amount, "filter change value")
    eq(log_filter.get_new_entries(), [], "a second eth_getFilterChanges is empty")
    check(w3.eth.uninstall_filter(log_filter.filter_id), "uninstall_filter returned false")

    step("web3: string revert raises ContractLogicError with the reason")
    r_abi, r_bytecode = artifact("Reverter")
    r_receipt = wait(w3, w3.eth.contract(abi=r_abi, bytecode=r_bytecode).constructor().transact())
    eq(r_receipt["status"], 1, "Reverter deploy status")
    reverter = w3.eth.contract(address=r_receipt["contractAddress"], abi=r_abi)
    error_string_data = "0x08c379a0"  # Error(string)
    for what, action in [
        ("call", lambda: reverter.functions.revertString().call()),
        ("estimate_gas", lambda: reverter.functions.revertString().estimate_gas()),
        ("transact", lambda: reverter.functions.revertString().transact()),
    ]:
        try:
            action()
            fail(f"revertString().{what}() did not raise")
        except ContractLogicError as e:
            eq(e.message, "execution reverted: Reverter: nope", f"revertString().{what}() message")
            check(
                isinstance(e.data, str) and e.data.startswith(error_string_data),
                f"revertString().{what}() data should be Error(string) revert data: {e.data!r}",
            )

    step("web3: custom error raises ContractCustomError with the revert data")
    selector = Web3.keccak(text="Nope(uint256,address)")[:4].hex()
    selector = selector if selector.startswith("0x") else "0x" + selector
    try:
        reverter.functions.revertCustom(42).call()
        fail("revertCustom(42).call() did not raise")
    except ContractCustomError as e:
        check(isinstance(e.data, str) and e.data.startswith(selector), f"custom error data {e.data!r}")
        code, who = decode(["uint256", "address"], bytes.fromhex(e.data[10:]))
        eq(code, 42, "Nope.code")
        eq(Web3.to_checksum_address(who), ADDR0, "Nope.who")

    step("web3: the node still works after reverts")
    wait(w3, reverter.functions.setNumber(7).transact())
    eq(reverter.functions.number().call(), 7, "Reverter.number() after setNumber(7)")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].startswith("http"):
        print("usage: python3 web3_test.py <http-url>   e.g. http://127.0.0.1:8545", file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGALRM, lambda *_: fail(f"global timeout of {TIMEOUT_S} s reached"))
    signal.alarm(TIMEOUT_S)
    try:
        main(sys.argv[1])
    except Exception:  # noqa: BLE001 - any error is a failure, with its traceback
        traceback.print_exc()
        fail("unexpected exception (traceback above)")
    print("OK", flush=True)
    sys.exit(0)
