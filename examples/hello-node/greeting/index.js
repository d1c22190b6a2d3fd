'use strict';
module.exports = (who) => `hello from ${who}`;
