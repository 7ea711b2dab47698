export * from './tender';
export * from './tender-arithmetic';
export * from './apply-tenders';
export * from './tender-postings';
