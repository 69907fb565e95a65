/**
 * rlpx/crawl: the crawler and node discovery from records and DNS. crawl() is what
 * `rlpx crawl` runs; seeds come from enode lists and EIP-1459 trees, records are EIP-778.
 */
export { crawl, Crawl, CRAWL_DEFAULTS, type CrawlOptions, type CrawlSeed } from './crawl.js';
export {
  CRAWL_SCHEMA_VERSION, CSV_COLUMNS, csvHeader, csvRow, idsInOutput, classify,
  type NodeResult, type NodeOutcome, type NodeError, type ErrorClass, type CrawlStage, type HelloReport, type EthReport, type EnrReport,
} from './result.js';
export { CrawlSummary, type CrawlSummaryData, type BlockSpread } from './summary.js';
export { TokenBucket } from './token-bucket.js';
export { parseEnodeList, SeedSet, collectSeeds, SeedError, type Seed, type DialTarget, type UndialableSeed, type CollectSeedsInput, type CollectedSeeds } from './seeds.js';
export { parseClientId, type ClientId } from './client-id.js';
export { Enr, decodeEnr, encodeEnr, ENR_PREFIX, ENR_MAX_SIZE, type EnrInput, type EnrFields, type EnrEndpoints, type ForkIdEntry, type RlpItem } from '../discovery/enr.js';
export { EnrError, DnsTreeError, type DnsTreeErrorKind } from '../discovery/errors.js';
export { walkDnsTrees, DnsTreeWalk, type DnsTreeOptions, type TreeInfo, type TreeNode, type TxtResolver, type DnsTreeStats } from '../discovery/dns-tree.js';
export { buildDnsTree, MAX_BRANCH_CHILDREN, type DnsTreeInput, type BuiltDnsTree } from '../discovery/dns-build.js';
export { parseTreeLink, formatTreeLink, type TreeLink } from '../discovery/dns-entry.js';
