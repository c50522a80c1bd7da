//! Backup area: streamed replicas, compaction levels, S3 and crashes.

mod crash;
mod levels;
mod replica;
mod s3;
