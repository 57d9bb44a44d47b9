// The HTTP server's public surface, for the appliance and µShell.
export { HttpService, URL_MAX_BYTES, HEADERS_MAX_BYTES, IDLE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, ORIGIN_TIMEOUTS } from './http-service';
export type {
  HttpConnectionInfo,
  HttpConnectionState,
  HttpObjectStatistics,
  HttpServiceOptions,
  HttpSocket,
  HttpStatistics,
  OriginTimeouts,
  SocketLike,
  StatusClass,
} from './types';
export { DOWNLOAD_PROGRESS_PERCENTS, type ObjectStatistics } from './object-statistics';
export { exportRecords, formatStatisticsExport } from './statistics-export';
export { findObject, parseObjectArgument, parseRequestTarget, type ObjectReference } from './object-lookup';
