// DTLS module
