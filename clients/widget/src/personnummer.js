// Reading a personnummer as people type it: YYYYMMDDNNNC, YYMMDD-NNNC, with
// or without the hyphen; "+" instead of "-" from the year the person turns
// 100 (Skatteverket). The check digit is Luhn over YYMMDDNNN
// (shared/DOMAIN.md). The server decides who may log in; this only catches
// typing mistakes early, with a clear message.

/**
 * @param {string} input
 * @param {Date} [today]
 * @returns {string | null} the 12-digit form, or null if it is not a personnummer
 */
export function normalizePnr(input, today = new Date()) {
  const text = input.replace(/\s/g, "");
  let match = /^(\d{8})-?(\d{4})$/.exec(text);
  let digits;
  if (match) {
    digits = match[1] + match[2];
  } else {
    match = /^(\d{6})([-+]?)(\d{4})$/.exec(text);
    if (!match) return null;
    const yy = Number(match[1].slice(0, 2));
    const year = today.getFullYear();
    let full = year - ((year - yy) % 100);
    if (match[2] === "+") full -= 100;
    digits = String(full) + match[1].slice(2) + match[3];
  }
  return luhnOk(digits.slice(2)) ? digits : null;
}

/** @param {string} ten YYMMDDNNNC */
function luhnOk(ten) {
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    const product = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
    sum += product > 9 ? product - 9 : product;
  }
  return (10 - (sum % 10)) % 10 === Number(ten[9]);
}

/** 198501012382 -> 19850101-2382 */
export function formatPnr(digits) {
  return `${digits.slice(0, 8)}-${digits.slice(8)}`;
}
