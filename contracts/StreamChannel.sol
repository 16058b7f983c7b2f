// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title StreamChannel: many unidirectional payment channels in one contract, paid with cumulative vouchers.
/// @notice Interface of the 2026 stream-channel design (open, settle, topUp, requestClose, close, withdraw; voucher
/// `Voucher(bytes32 channelId,uint128 cumulativeAmount)` signed per EIP-712; channel id over payer, payee, token,
/// salt, signer, this contract and the chain id) so its tooling can drive it. The grace period between a payer's
/// close request and its withdrawal is set at deployment: a payee that is offline for hours must still be able to
/// redeem its vouchers before the payer takes the deposit back.
/// `token == address(0)` is the chain's native coin (sent as msg.value); any other token is an ERC-20.
/// No owner, no pause, no admin withdrawal, no expiry: only a channel's payer and payee can ever move its funds.
contract StreamChannel {
    struct Channel {
        address payer;
        uint64 closeRequestedAt; // 0: no close requested
        bool finalized; // closed or withdrawn: nothing is left in it
        address payee;
        uint128 deposit;
        uint128 settled; // cumulative amount already paid to the payee
    }

    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 channelId,uint128 cumulativeAmount)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("EVM Payment Channel");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 n / 2: a signature with a larger s has a twin (n - s) that would verify too; only the low one counts.
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    uint64 public immutable CLOSE_GRACE_PERIOD;
    uint256 private immutable deployedChainId;
    bytes32 private immutable deployedDomainSeparator;

    mapping(bytes32 => Channel) private channels;
    uint256 private lock = 1;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        address token,
        address authorizedSigner,
        bytes32 salt,
        uint256 deposit
    );
    event Settled(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 cumulativeAmount,
        uint256 deltaPaid,
        uint256 newSettled
    );
    event CloseRequested(bytes32 indexed channelId, address indexed payer, address indexed payee, uint256 closeGraceEnd);
    event TopUp(
        bytes32 indexed channelId, address indexed payer, address indexed payee, uint256 additionalDeposit, uint256 newDeposit
    );
    event ChannelClosed(
        bytes32 indexed channelId, address indexed payer, address indexed payee, uint256 settledToPayee, uint256 refundedToPayer
    );
    event CloseRequestCancelled(bytes32 indexed channelId, address indexed payer, address indexed payee);
    event ChannelExpired(bytes32 indexed channelId, address indexed payer, address indexed payee);

    error ChannelAlreadyExists();
    error ChannelNotFound();
    error ChannelFinalized();
    error InvalidSignature();
    error AmountExceedsDeposit();
    error AmountNotIncreasing();
    error NotPayer();
    error NotPayee();
    error TransferFailed();
    error CloseNotReady();
    error InvalidPayee();
    error DepositOverflow();
    error InvalidChannelParams();

    /// A payout to a contract hands it control; the lock makes any call back into this contract fail.
    modifier nonReentrant() {
        if (lock != 1) revert TransferFailed();
        lock = 2;
        _;
        lock = 1;
    }

    /// @param closeGracePeriod seconds between `requestClose` and the earliest `withdraw` (not 0: the payee needs time)
    constructor(uint64 closeGracePeriod) {
        if (closeGracePeriod == 0) revert InvalidChannelParams();
        CLOSE_GRACE_PERIOD = closeGracePeriod;
        deployedChainId = block.chainid;
        deployedDomainSeparator = _buildDomainSeparator();
    }

    // --- payer ---

    /// Opens a channel from msg.sender to `payee` holding `deposit` of `token` (address(0): the native coin, sent
    /// as msg.value). `authorizedSigner` signs the vouchers (address(0): the payer does).
    function open(address payee, address token, uint128 deposit, bytes32 salt, address authorizedSigner)
        external
        payable
        nonReentrant
        returns (bytes32 channelId)
    {
        if (payee == address(0)) revert InvalidPayee();
        channelId = computeChannelId(msg.sender, payee, token, salt, authorizedSigner);
        if (channels[channelId].payer != address(0)) revert ChannelAlreadyExists();
        channels[channelId] = Channel({
            payer: msg.sender,
            closeRequestedAt: 0,
            finalized: false,
            payee: payee,
            deposit: deposit,
            settled: 0
        });
        _pull(token, deposit);
        emit ChannelOpened(channelId, msg.sender, payee, token, authorizedSigner, salt, deposit);
    }

    /// Adds to the deposit; also cancels a pending close request (the payer wants to go on paying).
    function topUp(bytes32 channelId, uint256 additionalDeposit, address token, address authorizedSigner, bytes32 salt)
        external
        payable
        nonReentrant
    {
        Channel storage ch = _channel(channelId, token, authorizedSigner, salt);
        if (msg.sender != ch.payer) revert NotPayer();
        if (ch.finalized) revert ChannelFinalized();
        if (additionalDeposit > type(uint128).max - ch.deposit) revert DepositOverflow();
        ch.deposit += uint128(additionalDeposit);
        if (ch.closeRequestedAt != 0) {
            ch.closeRequestedAt = 0;
            emit CloseRequestCancelled(channelId, ch.payer, ch.payee);
        }
        _pull(token, additionalDeposit);
        emit TopUp(channelId, ch.payer, ch.payee, additionalDeposit, ch.deposit);
    }

    /// Starts the grace period (once; asking again changes nothing). The payee can still settle and close during it.
    function requestClose(bytes32 channelId) external {
        Channel storage ch = channels[channelId];
        if (ch.payer == address(0)) revert ChannelNotFound();
        if (msg.sender != ch.payer) revert NotPayer();
        if (ch.finalized) revert ChannelFinalized();
        if (ch.closeRequestedAt == 0) {
            ch.closeRequestedAt = uint64(block.timestamp);
            emit CloseRequested(channelId, ch.payer, ch.payee, block.timestamp + CLOSE_GRACE_PERIOD);
        }
    }

    /// After the grace period: refunds what the payee has not settled and finalizes the channel.
    function withdraw(bytes32 channelId, address token, address authorizedSigner, bytes32 salt) external nonReentrant {
        Channel storage ch = _channel(channelId, token, authorizedSigner, salt);
        if (msg.sender != ch.payer) revert NotPayer();
        if (ch.finalized) revert ChannelFinalized();
        if (ch.closeRequestedAt == 0 || block.timestamp < uint256(ch.closeRequestedAt) + CLOSE_GRACE_PERIOD) {
            revert CloseNotReady();
        }
        uint128 refund = ch.deposit - ch.settled;
        ch.finalized = true;
        _send(token, ch.payer, refund);
        emit ChannelExpired(channelId, ch.payer, ch.payee);
        emit ChannelClosed(channelId, ch.payer, ch.payee, ch.settled, refund);
    }

    // --- payee ---

    /// Pays the payee `cumulativeAmount - settled` against the payer's voucher; the channel stays open.
    function settle(
        bytes32 channelId,
        uint128 cumulativeAmount,
        bytes calldata signature,
        address token,
        address authorizedSigner,
        bytes32 salt
    ) external nonReentrant {
        Channel storage ch = _channel(channelId, token, authorizedSigner, salt);
        if (msg.sender != ch.payee) revert NotPayee();
        if (ch.finalized) revert ChannelFinalized();
        if (cumulativeAmount > ch.deposit) revert AmountExceedsDeposit();
        if (cumulativeAmount <= ch.settled) revert AmountNotIncreasing();
        _checkVoucher(channelId, cumulativeAmount, signature, authorizedSigner == address(0) ? ch.payer : authorizedSigner);
        uint128 delta = cumulativeAmount - ch.settled;
        ch.settled = cumulativeAmount;
        _send(token, ch.payee, delta);
        emit Settled(channelId, ch.payer, ch.payee, cumulativeAmount, delta, cumulativeAmount);
    }

    /// Settles the voucher if it is above what is settled (an amount at or below it needs no signature and pays
    /// nothing more), refunds the rest of the deposit to the payer, and finalizes the channel.
    function close(
        bytes32 channelId,
        uint128 cumulativeAmount,
        bytes calldata signature,
        address token,
        address authorizedSigner,
        bytes32 salt
    ) external nonReentrant {
        Channel storage ch = _channel(channelId, token, authorizedSigner, salt);
        if (msg.sender != ch.payee) revert NotPayee();
        if (ch.finalized) revert ChannelFinalized();
        uint128 delta;
        if (cumulativeAmount > ch.settled) {
            if (cumulativeAmount > ch.deposit) revert AmountExceedsDeposit();
            _checkVoucher(
                channelId, cumulativeAmount, signature, authorizedSigner == address(0) ? ch.payer : authorizedSigner
            );
            delta = cumulativeAmount - ch.settled;
            ch.settled = cumulativeAmount;
        }
        uint128 refund = ch.deposit - ch.settled;
        ch.finalized = true;
        _send(token, ch.payee, delta);
        _send(token, ch.payer, refund);
        emit ChannelClosed(channelId, ch.payer, ch.payee, ch.settled, refund);
    }

    // --- views ---

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return channels[channelId];
    }

    function getChannelsBatch(bytes32[] calldata channelIds) external view returns (Channel[] memory out) {
        out = new Channel[](channelIds.length);
        for (uint256 i = 0; i < channelIds.length; ++i) {
            out[i] = channels[channelIds[i]];
        }
    }

    function computeChannelId(address payer, address payee, address token, bytes32 salt, address authorizedSigner)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(payer, payee, token, salt, authorizedSigner, address(this), block.chainid));
    }

    function domainSeparator() public view returns (bytes32) {
        // After a chain split the copy on the other chain gets its own domain, so a voucher counts on one only.
        return block.chainid == deployedChainId ? deployedDomainSeparator : _buildDomainSeparator();
    }

    /// The EIP-712 digest a payer signs for `cumulativeAmount` on `channelId`.
    function getVoucherDigest(bytes32 channelId, uint128 cumulativeAmount) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(VOUCHER_TYPEHASH, channelId, cumulativeAmount));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    // --- internal ---

    /// The stored channel, after checking that the token, signer and salt given are the ones it was opened with
    /// (they are part of its id, so they need not be stored).
    function _channel(bytes32 channelId, address token, address authorizedSigner, bytes32 salt)
        private
        view
        returns (Channel storage ch)
    {
        ch = channels[channelId];
        if (ch.payer == address(0)) revert ChannelNotFound();
        if (computeChannelId(ch.payer, ch.payee, token, salt, authorizedSigner) != channelId) {
            revert InvalidChannelParams();
        }
    }

    /// A 65-byte (r, s, v) signature with low s and v of 27 or 28, by `signer`.
    function _checkVoucher(bytes32 channelId, uint128 cumulativeAmount, bytes calldata signature, address signer)
        private
        view
    {
        if (signature.length != 65) revert InvalidSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_N || (v != 27 && v != 28)) revert InvalidSignature();
        address recovered = ecrecover(getVoucherDigest(channelId, cumulativeAmount), v, r, s);
        if (recovered == address(0) || recovered != signer) revert InvalidSignature();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// Takes `amount` from msg.sender. A token that delivers less than asked (a fee on transfer) is refused: the
    /// channel would hold less than its deposit says and the last one out could not be paid.
    function _pull(address token, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert InvalidChannelParams();
            return;
        }
        if (msg.value != 0) revert InvalidChannelParams();
        if (amount == 0) return;
        uint256 before = _balanceOf(token);
        _callToken(token, abi.encodeWithSelector(0x23b872dd, msg.sender, address(this), amount)); // transferFrom
        uint256 afterwards = _balanceOf(token);
        if (afterwards < before || afterwards - before != amount) revert TransferFailed();
    }

    function _send(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert TransferFailed();
        } else {
            _callToken(token, abi.encodeWithSelector(0xa9059cbb, to, amount)); // transfer
        }
    }

    /// Calls an ERC-20 that may return true, nothing (older tokens), or false; anything but success reverts.
    function _callToken(address token, bytes memory data) private {
        if (token.code.length == 0) revert TransferFailed();
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length < 32 || abi.decode(ret, (uint256)) != 1))) revert TransferFailed();
    }

    function _balanceOf(address token) private view returns (uint256) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this))); // balanceOf
        if (!ok || ret.length < 32) revert TransferFailed();
        return abi.decode(ret, (uint256));
    }
}
