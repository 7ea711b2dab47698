#!/usr/bin/env -S node --max-semi-space-size=64
'use strict';
require('../dist/main.js');
