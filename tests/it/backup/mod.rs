//! Backup area: streamed replicas, compaction levels, S3 and crashes.

mod crash;
mod levels;
mod read_replica;
mod replica;
mod restart;
mod s3;
