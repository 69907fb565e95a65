/**
 * rlpx/eth: the eth subprotocol. Chains and their fork IDs (EIP-2124), genesis hashes from
 * geth genesis files, codecs of every eth/69-72 message, the responder that runs eth on a
 * Peer, the request client, and the checks of what a peer returns.
 */
export { CHAINS, chainByName, BLOCK_FORKS, TIME_FORKS, type Chain } from './chain.js';
export { chainFromGenesis, readGenesisFile, genesisHashOf, genesisHeaderOf, allocRoot, type GenesisOptions } from './genesis.js';
export { trieRoot, EMPTY_TRIE_ROOT } from './trie.js';
export { forkId, checkForkId, chainForks, type ForkId, type ForkCheck, type ForkVerdict, type Head } from './forkid.js';
export { BlockRangeError, GenesisError, type BlockRangeCheck } from './errors.js';
export { encodeStatus, decodeStatus, validateStatus, StatusError, ETH_STATUS_CODE, MAX_STATUS_SIZE, type EthStatus, type StatusExpectation, type StatusCheck } from './status.js';
export {
  encodeBlockRangeUpdate,
  decodeBlockRangeUpdate,
  validateBlockRange,
  BlockRangeTracker,
  BLOCK_RANGE_UPDATE_CODE,
  MAX_BLOCK_RANGE_UPDATE_SIZE,
  type BlockRange,
  type PeerRange,
} from './range.js';
export {
  EthResponder,
  ethStatusResponder,
  ETH_VERSIONS,
  type EthResponderOptions,
  type EthResponderEvents,
  type EthHandshake,
  type LocalHead,
} from './protocol.js';
export { ethStatusJson, exactJson, exactUint, type EthStatusJson, type Uint64 } from './json.js';
export { MessageError, ResponseError, VerifyError, type MessageCheck, type ResponseCheck, type VerifyCheck } from './errors.js';
export { decodeHeader, encodeHeader, makeHeader, EMPTY_OMMERS_HASH, type BlockHeader, type HeaderFields } from './header.js';
export {
  decodeTransaction,
  decodeTransactionItem,
  decodePooledTransactionItem,
  encodeTransaction,
  makeTransaction,
  transactionItem,
  pooledTransactionItem,
  BLOB_SIZE,
  type Transaction,
  type TransactionFields,
  type PooledTransaction,
  type BlobSidecar,
  type TxType,
  type AccessTuple,
  type Authorization,
} from './transaction.js';
export { decodeReceiptView, decodeReceiptList, encodeReceipt, encodeReceiptList, consensusReceipt, logsBloom, receiptSucceeded, type Receipt, type Log } from './receipt.js';
export { decodeBody, decodeBodyView, encodeBody, encodeBlock, decodeBlockView, decodeBlocks, decodeWithdrawal, encodeWithdrawal, type Block, type BlockBody, type Withdrawal } from './block.js';
export { readItem, readOne, iterate, encodeRawList, encodeString, type RlpView } from './rlp-view.js';
export * from './messages.js';
export {
  headerHash,
  verifyHeader,
  verifyHeaderChain,
  verifyBody,
  verifyReceipts,
  verifyBlockAccessList,
  transactionsRoot,
  withdrawalsRoot,
  ommersHash,
  receiptsRoot,
} from './verify.js';
export { EthClient, MAX_SERVE, type HeadersQuery, type BlockRef } from './client.js';
export { RequestTracker, DEFAULT_REQUEST_TIMEOUT, TOMBSTONE_MS, MAX_PENDING, type RequestOptions, type RequestBody, type ResponseOf } from './tracker.js';
export { emptyAnswer, type EthRequest, type EthAnswer, type RequestHandler } from './answer.js';
export type { ChainSource, StoredHeader, SourceHead } from './chain-source.js';
export { FileStore, ChainFileError, type FileStoreOptions } from './file-store.js';
export { serveHeaders, serveBodies, serveReceipts69, serveReceipts70, serveBlockAccessLists, SOFT_RESPONSE_LIMIT, type HeaderQuery, type Receipts70 } from './serve.js';
export { downloadBlocks, type DownloadOptions, type DownloadedBlock } from './download.js';
export { encodeReceiptsEntry, readReceiptsFile, type ReceiptsEntry } from './receipts-file.js';
