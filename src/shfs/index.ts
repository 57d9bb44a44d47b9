// The SHFS library: mounting and reading volumes, their information and
// listing, and the writer behind shfs-mkfs, shfs-admin and mkwebfs.
export type * from './types';
export { ShfsError, type ShfsErrorCode } from './errors';
export { mountVolume, ShfsVolume, DEFAULT_CACHE_SIZE_BYTES, type MountOptions } from './volume';
export { describeVolume, buildVolumeReport, volumeInfo, type VolumeInfo, type VolumeReport, type ListingEntry } from './volume-report';
export { formatInfo, formatListing, formatListingDate } from './report-text';
export { createContentDigest, type ContentDigest } from './digest/content-digest';
export { parseDigest } from './digest/digest-text';
export { formatVolume, planVolume, type FormatOptions, type FormatPlan } from './writer/format-volume';
export { VolumeWriter, type AddObjectOptions, type AddLinkOptions } from './writer/volume-writer';
export { buildWebVolume, type WebVolumeOptions, type WebVolumeResult } from './web-volume';
export { mediaTypeFor } from './media-types';
