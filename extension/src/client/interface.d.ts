// Generated at build time from data/me.phyllo.Switcher1.xml (tools/build-extension.mjs),
// so the extension and the service share one contract.
export declare const INTERFACE_XML: string;
