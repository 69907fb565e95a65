/**
 * The example tree of ethereum/devp2p dnsdisc.md (EIP-1459), as published there in zone-file
 * form. Its root is signed by the key the spec prints in full (04 9f88…); the URL the spec
 * prints beside it (AM5FCQLW…) encodes a different key, so the URL below is the one for the
 * printed key, as other implementations' tests use it.
 */
export const SPEC_DOMAIN = 'nodes.example.org';
export const SPEC_PUBLIC_KEY =
  '9f88229042fef9200246f49f94d9b77c4e954721442714e85850cb6d9e5daf2d880ea0e53cb3ac1a75f9923c2726a4f941f7d326781baa6380754a360de5c2b6';
export const SPEC_URL = 'enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@nodes.example.org';
export const SPEC_PRINTED_URL = 'enrtree://AM5FCQLWIZX2QFPNJAP7VUERCCRNGRHWZG3YYHIUV7BVDQ5FDPRT2@nodes.example.org';
export const SPEC_ROOT =
  'enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA';
/** hash label → entry text. */
export const SPEC_ENTRIES: Record<string, string> = {
  C7HRFPF3BLGF3YR4DY5KX3SMBE: 'enrtree://AM5FCQLWIZX2QFPNJAP7VUERCCRNGRHWZG3YYHIUV7BVDQ5FDPRT2@morenodes.example.org',
  JWXYDBPXYWG6FX3GMDIBFA6CJ4: 'enrtree-branch:2XS2367YHAXJFGLZHVAWLQD4ZY,H4FHT4B454P6UXFD7JCYQ5PWDY,MHTDO6TMUBRIA2XWG5LUDACK24',
  '2XS2367YHAXJFGLZHVAWLQD4ZY':
    'enr:-HW4QOFzoVLaFJnNhbgMoDXPnOvcdVuj7pDpqRvh6BRDO68aVi5ZcjB3vzQRZH2IcLBGHzo8uUN3snqmgTiE56CH3AMBgmlkgnY0iXNlY3AyNTZrMaECC2_24YYkYHEgdzxlSNKQEnHhuNAbNlMlWJxrJxbAFvA',
  H4FHT4B454P6UXFD7JCYQ5PWDY:
    'enr:-HW4QAggRauloj2SDLtIHN1XBkvhFZ1vtf1raYQp9TBW2RD5EEawDzbtSmlXUfnaHcvwOizhVYLtr7e6vw7NAf6mTuoCgmlkgnY0iXNlY3AyNTZrMaECjrXI8TLNXU0f8cthpAMxEshUyQlK-AM0PW2wfrnacNI',
  MHTDO6TMUBRIA2XWG5LUDACK24:
    'enr:-HW4QLAYqmrwllBEnzWWs7I5Ev2IAs7x_dZlbYdRdMUx5EyKHDXp7AV5CkuPGUPdvbv1_Ms1CPfhcGCvSElSosZmyoqAgmlkgnY0iXNlY3AyNTZrMaECriawHKWdDRk2xeZkrOXBQ0dfMFLHY4eENZwdufn1S1o',
};

/** The example as a zone for test/helpers/dns-server.ts. */
export function specZone(): Map<string, string[]> {
  const zone = new Map<string, string[]>([[SPEC_DOMAIN, [SPEC_ROOT]]]);
  for (const [hash, text] of Object.entries(SPEC_ENTRIES)) zone.set(`${hash}.${SPEC_DOMAIN}`.toLowerCase(), [text]);
  return zone;
}
