//! Replies made from the schemas' examples, with the request's own values put in.
