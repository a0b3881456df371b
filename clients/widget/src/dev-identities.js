// The dev identity provider stands in for BankID and accepts only the test
// personnummer the region lists (chatserver/config.py default(); Skatteverket's
// official test numbers, CC0, never given to real people). Shown as quick
// picks only when the element has the `dev-login` attribute.
export const DEV_IDENTITIES = [
  { pnr: "198501012382", name: "Tess Testsson", note: { sv: "förälder", en: "parent" } },
  { pnr: "200306062381", name: "Alva Provsson", note: { sv: "förälder", en: "parent" } },
  { pnr: "190704019801", name: "Gustav Äldresson", note: null },
  { pnr: "201701012393", name: "Lilla Testsson", note: { sv: "barn", en: "child" } },
];
