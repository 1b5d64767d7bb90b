// Puppeteer drives the system Chromium (Debian's `chromium`): never download a browser at install.
module.exports = { skipDownload: true };
