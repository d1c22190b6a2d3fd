'use strict';
// Run on node:trixie (no shell, no npm) with the node_modules npm installed in node:trixie-dev.
const greeting = require('greeting');
const tls = require('node:tls');
const os = require('node:os');

const ca = tls.rootCertificates.length > 100 ? 'CA bundle ok' : 'no CA bundle';
console.log(`${greeting(`node ${process.version.split('.')[0]}`)} (${process.platform}/${process.arch}, ${ca}) as uid ${os.userInfo().uid}`);
