//! The AWS edge: the API Gateway client, paginated reads, writes and error mapping.
